#!/usr/bin/env python3
"""oO scorer: a stateless LinUCB contextual bandit, speaking JSON lines (or HTTP).

The Bun side stores every user's model and sends it with each call (or, for a model sent before,
its ref: see "score"), so this process holds nothing that is not also on the Bun side: one process
serves every user and can be restarted at any moment. The
maths and the model's shape are in linucb.py, next to this file (the server writes both into
DATA_DIR/ml/ and runs this one as a script). A null state stands for a fresh model of the
request's dimension (A_inv = I, b = 0).

Operations, one JSON object per line on stdin, one JSON line per request on stdout, "id" echoed:

    score   {"id", "op": "score", "policy": "linucb", "params": {"alpha": 1.0, "detail": true},
             "state": {...} | null, "candidates": [{"id", "x": [...]}, ...]}
         -> {"id", "scores": [...], "chosen": <candidate id>, "propensity": 1.0,
             "detail": [{"id", "mean", "bonus"}, ...]}
            score = mean + bonus, mean = theta . x with theta = A_inv b,
            bonus = alpha * sqrt(x^T A_inv x). "chosen" is the argmax (the first one on ties), a
            greedy pick, hence propensity 1.0: exploration is the caller's to draw (the server
            draws it over every candidate, see src/recommender/policies/). Other "params" keys are
            ignored.
            "detail": false leaves the per-candidate detail out (the serving path does not read it,
            and writing it is a third of the reply's cost).
            "xs_f64": "<base64>" with "d": <int> may stand in for "candidates": the same vectors
            without ids, which are then their indexes (0, 1, ...), as little-endian float64 values,
            d per vector, one vector after another. The reply then carries its scores the same way,
            as "scores_f64" instead of "scores". The serving path sends that: it carries the very
            same doubles, and reading and writing decimal numbers cost more than scoring them.
            "xs_q16" may stand in for "xs_f64": each value as its ten-thousandths, little-endian
            uint16 (the server's features are rounded to four decimals in [0, 1]; value / 10000
            is the very same double), a quarter of the bytes; the serving path sends this when
            every value fits. Any
            "state" may come packed the same way: {"d", "pulls", "reward_sum", "f64": "<base64>"},
            A_inv row by row then b (the serving path sends that too). A packed state may carry
            "ref": <positive int>: the scorer then keeps it (the last 4096 by use), and a later
            score may send {"ref": n} alone; a ref it no longer holds is refused with the error
            "unknown state ref n", and the caller sends the state in full again. A ref must name
            one model only: the server gives each model it packs a new one.
    update  {"id", "op": "update", "policy": "linucb", "state": {...} | null, "x": [...], "reward": r}
         -> {"id", "state": {...}}   (Sherman-Morrison update of A_inv, b += r x)
    revert  the same request as update -> {"id", "state": {...}}: that update taken back out (an
            undone reaction); a state that never took it is refused
    migrate {"id", "op": "migrate", "state": {...} | null, "from": [names], "to": [names]}
         -> {"id", "state": {...}}: the state carried over to another feature version by feature
            name (see linucb.migrate); null gives a fresh state of the new dimension
    health  {"id", "op": "health"} -> {"id", "ok": true, "version": "...", "numpy": true | false}
            ("numpy": whether linucb.py scores with numpy)

"policy" defaults to "linucb", "params" to alpha 1.0 with detail; other fields (such as
"traceparent") are ignored. Features and state values must be finite JSON numbers (not NaN,
Infinity, true/false or strings); ids, which the reply echoes, must be strings, finite numbers or
null. A bad request is answered {"id": <id, or null when the line is not a JSON object or its id
is refused>, "error": "<message>"} and the loop goes on.

`scorer.py --http PORT [--host HOST]` serves the same operations over HTTP: POST /score and
POST /update, POST /revert and POST /migrate take the same objects ("op" not needed), GET /health; a bad request answers 400
with {"id", "error"}, an unknown route 404.
"""

import argparse
import base64
import binascii
import collections
import json
import math
import os
import signal
import struct
import sys
import traceback

if __package__:
    from . import linucb
else:
    # Run as a script, as the server runs it: linucb.py sits next to this file. Python puts this
    # directory first on sys.path already, unless told not to (-P, PYTHONSAFEPATH). No
    # __pycache__ is left in the data dir: compiling the module takes a millisecond.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.dont_write_bytecode = True
    import linucb

VERSION = "linucb-1.1.0"

DEFAULT_ALPHA = 1.0


class BadRequest(Exception):
    """A request the scorer refuses; its message goes back to the caller."""


def _reject_constant(name):
    raise BadRequest(f"non-finite number {name} in the request")


_decode = json.JSONDecoder(parse_constant=_reject_constant).decode
_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


_ID_TYPES = frozenset((str, int, float, type(None)))


def _echoable(value):
    """Ids go back in the reply, so each must be what a JSON reply can carry: a string, a finite
    number or null (JSON has no infinity, and a decimal out of range reads as one)."""
    return type(value) in _ID_TYPES and (type(value) is not float or math.isfinite(value))


_FRESH = {}

# Packed states sent with a "ref", kept so the next score of the same model can send the ref alone:
# the least recently used go first. A ref names one model, which nothing changes (an update makes a
# new one with a new ref), so a held state is never stale; a forgotten one is asked for again.
HELD_STATES = 4096
UNKNOWN_STATE_REF = "unknown state ref"
_HELD = collections.OrderedDict()


def _base64_bytes(value, what):
    """The bytes of a base64 string field, or a BadRequest naming the field."""
    if type(value) is not str:
        raise BadRequest(f"{what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise BadRequest(f"{what} is not base64: {error}") from None


def _unpacked_state(value):
    """A state sent packed ({"d", "pulls", "reward_sum", "f64"}: A_inv row by row, then b, as
    little-endian float64 in base64) as the dict the model functions take; checked as any state."""
    d, packed = value.get("d"), value.get("f64")
    if type(d) is not int or d < 1:
        raise BadRequest("state.d must be a positive integer")
    raw = _base64_bytes(packed, "state.f64")
    if len(raw) != 8 * (d * d + d):
        raise BadRequest(f"state.f64 must hold d*d + d = {d * d + d} float64 values, got {len(raw)} bytes")
    pulls = value.get("pulls")
    if type(pulls) is not int or pulls < 0:
        raise BadRequest("state.pulls must be a non-negative integer")
    reward_sum = linucb.check_number(value.get("reward_sum"), "state.reward_sum")
    if linucb.USE_NUMPY:
        # Straight into the arrays the numpy scoring reads: no decimal, no list on the way.
        values = linucb.numpy.frombuffer(raw, dtype="<f8")
        if not linucb.numpy.isfinite(values).all():
            raise BadRequest("state.f64 must hold finite numbers only")
        return {"d": d, "A_inv": values[: d * d].reshape(d, d), "b": values[d * d :], "pulls": pulls, "reward_sum": reward_sum}
    values = struct.unpack(f"<{d * d + d}d", raw)
    if not linucb.finite_numbers(values):
        raise BadRequest("state.f64 must hold finite numbers only")
    rows = [list(values[start : start + d]) for start in range(0, d * d, d)]
    return {"d": d, "A_inv": rows, "b": list(values[d * d :]), "pulls": pulls, "reward_sum": reward_sum}


def _state(value, d_from_request, source):
    """The validated state, or a fresh one of the request's dimension (`source`'s length) when null."""
    if value is None:
        if d_from_request == 0:
            raise BadRequest(f"{source} must be a non-empty list of numbers")
        # Most people have no model yet; nothing changes a state in place, so one per dimension serves all.
        if d_from_request not in _FRESH:
            _FRESH[d_from_request] = linucb.fresh_state(d_from_request)
        return _FRESH[d_from_request]
    if type(value) is not dict:
        raise BadRequest("state must be an object or null")
    if "ref" in value:
        ref = value["ref"]
        if type(ref) is not int or ref < 1:
            raise BadRequest("state.ref must be a positive integer")
        if "f64" not in value:
            state = _HELD.get(ref)
            if state is None:
                raise BadRequest(f"{UNKNOWN_STATE_REF} {ref}")
            _HELD.move_to_end(ref)
        else:
            state = _unpacked_state(value)
            _HELD[ref] = state
            if len(_HELD) > HELD_STATES:
                _HELD.popitem(last=False)
        if d_from_request and state["d"] != d_from_request:
            raise BadRequest(f"dimension mismatch: {source} has {d_from_request} values, the model has d={state['d']}")
        return state
    if "f64" in value:
        state = _unpacked_state(value)
        if d_from_request and state["d"] != d_from_request:
            raise BadRequest(f"dimension mismatch: {source} has {d_from_request} values, the model has d={state['d']}")
        return state
    try:
        return linucb.check_state(value, d_from_request)
    except linucb.DimensionMismatch as error:
        raise BadRequest(f"dimension mismatch: {source} has {d_from_request} values, the model has d={error.d}") from None


def _params(value):
    """alpha and detail; other keys are ignored."""
    if value is None:
        value = {}
    if type(value) is not dict:
        raise BadRequest("params must be an object")
    alpha = linucb.check_number(value.get("alpha", DEFAULT_ALPHA), "params.alpha")
    if alpha < 0:
        raise BadRequest("params.alpha must be >= 0")
    detail = value.get("detail", True)
    if type(detail) is not bool:
        raise BadRequest("params.detail must be true or false")
    return alpha, detail


def _check_policy(request):
    policy = request.get("policy", "linucb")
    if policy != "linucb":
        raise BadRequest(f"unknown policy {json.dumps(policy)}; known: linucb")


def _candidates(request):
    """Ids, vectors (not checked yet) and their dimension, from "candidates"."""
    candidates = request.get("candidates")
    if type(candidates) is not list or not candidates:
        raise BadRequest("candidates must be a non-empty list")
    try:
        ids = [candidate["id"] for candidate in candidates]
        xs = [candidate.get("x") for candidate in candidates]
    except (TypeError, KeyError, AttributeError):
        # The fast path failed; find the first candidate at fault for the message.
        for index, candidate in enumerate(candidates):
            if type(candidate) is not dict or "id" not in candidate:
                raise BadRequest(f"candidates[{index}] must be an object with an id and x") from None
        raise
    if not all(map(_echoable, ids)):
        index = next(index for index, candidate_id in enumerate(ids) if not _echoable(candidate_id))
        raise BadRequest(f"candidates[{index}].id must be a string, a finite number or null")
    first = xs[0]
    return ids, xs, len(first) if type(first) is list else 0


def _packed_candidates(request):
    """Ids (the indexes), checked vectors and their dimension, from "xs_f64" or "xs_q16", and "d"."""
    if request.get("candidates") is not None:
        raise BadRequest("give candidates or packed xs, not both")
    if ("xs_f64" in request) == ("xs_q16" in request):
        raise BadRequest("give xs_f64 or xs_q16, not both")
    field, size, code = ("xs_f64", 8, "d") if "xs_f64" in request else ("xs_q16", 2, "H")
    packed, d = request[field], request.get("d")
    if type(d) is not int or d < 1:
        raise BadRequest("d must be a positive integer")
    raw = _base64_bytes(packed, field)
    if not raw or len(raw) % (size * d):
        raise BadRequest(f"{field} must hold whole vectors of d={d} values ({size * d} bytes each), got {len(raw)} bytes")
    if linucb.USE_NUMPY:
        # Straight into the matrix the numpy scoring reads.
        if code == "H":
            # Ten-thousandths: dividing gives the very doubles the server rounded its features to.
            return range(len(raw) // (2 * d)), linucb.numpy.frombuffer(raw, dtype="<u2").reshape(-1, d) / 10000.0, d
        matrix = linucb.numpy.frombuffer(raw, dtype="<f8").reshape(-1, d)
        if not linucb.numpy.isfinite(matrix).all():
            raise BadRequest("xs_f64 must hold finite numbers only")
        return range(len(matrix)), matrix, d
    values = struct.unpack(f"<{len(raw) // size}{code}", raw)
    if code == "H":
        values = [value / 10000.0 for value in values]
    elif not linucb.finite_numbers(values):
        raise BadRequest("xs_f64 must hold finite numbers only")
    return range(len(values) // d), [values[start : start + d] for start in range(0, len(values), d)], d


def _packed(values):
    return base64.b64encode(struct.pack(f"<{len(values)}d", *values)).decode("ascii")


def score(request):
    _check_policy(request)
    alpha, detail = _params(request.get("params"))
    packed = "xs_f64" in request or "xs_q16" in request
    if packed:
        ids, xs, d = _packed_candidates(request)
        state = _state(request.get("state"), d, "each packed vector")
    else:
        ids, xs, d = _candidates(request)
        state = _state(request.get("state"), d, "candidates[0].x")
        linucb.check_matrix(xs, d, "candidates[{}].x")

    scores, means, bonuses = linucb.scores(state, xs, alpha)
    if not all(map(math.isfinite, scores)):
        raise BadRequest("scores overflow: features or state values are too large")

    reply = {"scores_f64": _packed(scores)} if packed else {"scores": scores}
    # The pick is greedy, so its propensity is 1; a caller that explores draws on its own side.
    reply.update(chosen=ids[scores.index(max(scores))], propensity=1.0)
    if detail:
        reply["detail"] = [{"id": i, "mean": m, "bonus": b} for i, m, b in zip(ids, means, bonuses)]
    return reply


def _change(request, change, name):
    _check_policy(request)
    x = request.get("x")
    d = len(x) if type(x) is list else 0
    state = _state(request.get("state"), d, "x")
    linucb.check_vector(x, d, "x")
    reward = linucb.check_number(request.get("reward"), "reward")
    changed = change(state, x, reward)
    if not linucb.is_finite_state(changed):
        raise BadRequest(f"{name} overflows: features, reward or state values are too large")
    return {"state": changed}


def update(request):
    return _change(request, linucb.update, "update")


def revert(request):
    return _change(request, linucb.revert, "revert")


def _names(value, what):
    if type(value) is not list or not value or not all(type(name) is str and name for name in value):
        raise BadRequest(f"{what} must be a non-empty list of feature names")
    return value


def migrate(request):
    old_names = _names(request.get("from"), "from")
    new_names = _names(request.get("to"), "to")
    state = request.get("state")
    if state is None:
        return {"state": linucb.fresh_state(len(new_names))}
    linucb.check_state(state, len(old_names))
    return {"state": linucb.migrate(state, old_names, new_names)}


def health(_request):
    return {"ok": True, "version": VERSION, "numpy": linucb.USE_NUMPY}


OPERATIONS = {"score": score, "update": update, "revert": revert, "migrate": migrate, "health": health}


def handle(request, op):
    """The reply object for one decoded request; `op` comes from the line or the HTTP route."""
    operation = OPERATIONS.get(op)
    if operation is None:
        raise BadRequest(f"unknown op {json.dumps(op)}; known: {', '.join(OPERATIONS)}")
    return operation(request)


def _decode_request(data):
    try:
        request = _decode(data.decode("utf-8"))
    except ValueError as error:
        raise BadRequest(f"invalid JSON: {error}") from None
    except RecursionError:
        raise BadRequest("invalid JSON: nested too deeply") from None
    if type(request) is not dict:
        raise BadRequest("a request must be a JSON object")
    if not _echoable(request.get("id")):
        raise BadRequest("id must be a string, a finite number or null")
    return request


def _reply(request_id, produce):
    try:
        reply = produce()
    except (BadRequest, linucb.InvalidValue) as error:
        return {"id": request_id, "error": str(error)}
    except Exception as error:  # one broken request must never stop the scorer
        traceback.print_exc(file=sys.stderr)
        return {"id": request_id, "error": f"internal error: {type(error).__name__}: {error}"}
    return {"id": request_id, **reply}


def answer_line(line):
    """One request line in, one reply line out (bytes, newline included)."""
    try:
        request = _decode_request(line)
    except BadRequest as error:
        return _encode({"id": None, "error": str(error)}).encode() + b"\n"
    reply = _reply(request.get("id"), lambda: handle(request, request.get("op")))
    return _encode(reply).encode() + b"\n"


READ_SIZE = 1 << 16


def serve_lines(source_fd, sink_fd):
    """Reads requests in chunks (the caller sends them in bursts) and writes each reply as soon as
    it is ready: the caller goes on with that request while this process scores the next."""
    pending = b""
    while True:
        chunk = os.read(source_fd, READ_SIZE)
        if not chunk:
            break
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for line in lines:
            if line.strip():
                _write_all(sink_fd, answer_line(line))
    if pending.strip():
        _write_all(sink_fd, answer_line(pending))


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def serve_http(host, port):
    # Imported here, not at the top: the line mode the server spawns answers its first call about
    # 40 ms sooner without it, and calls made while it starts have ML_TIMEOUT_MS (150 ms) to be answered.
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class HttpHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        routes = {("POST", "/score"): "score", ("POST", "/update"): "update", ("POST", "/revert"): "revert", ("POST", "/migrate"): "migrate", ("GET", "/health"): "health"}

        def do_GET(self):
            self._route("GET")

        def do_POST(self):
            self._route("POST")

        def _route(self, method):
            op = self.routes.get((method, self.path.split("?", 1)[0]))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            if op is None:
                return self._send(404, {"error": f"no route {method} {self.path}"})
            try:
                request = _decode_request(body) if method == "POST" else {}
            except BadRequest as error:
                return self._send(400, {"error": str(error)})
            reply = _reply(request.get("id"), lambda: handle(request, op))
            self._send(400 if "error" in reply else 200, reply)

        def _send(self, status, payload):
            body = _encode(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            # One line per call would cost more than the scoring; the Bun side logs what matters.
            pass

    server = ThreadingHTTPServer((host, port), HttpHandler)
    server.daemon_threads = True
    print(f"scorer {VERSION} listening on http://{host}:{server.server_address[1]}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv=None):
    parser = argparse.ArgumentParser(description="oO stateless LinUCB scorer (JSON lines on stdin/stdout, or HTTP)")
    parser.add_argument("--http", type=int, metavar="PORT", help="serve HTTP on this port instead of stdin/stdout")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP listen address (default 127.0.0.1)")
    args = parser.parse_args(argv)
    if args.http is not None:
        serve_http(args.host, args.http)
    else:
        # Ctrl-C in a terminal reaches the whole process group; the parent decides when this child
        # ends (SIGTERM, or end of stdin), so it is not cut off in the middle of the parent's shutdown.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        serve_lines(sys.stdin.fileno(), sys.stdout.fileno())


if __name__ == "__main__":
    main()

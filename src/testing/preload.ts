// Code must use the user's IANA zone explicitly; a UTC process clock makes any slip visible in tests.
process.env.TZ = "UTC";

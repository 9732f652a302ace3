/** Text assets bundled into the executable with `with { type: "text" }`. */
declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*.py" {
  const text: string;
  export default text;
}
/** Files embedded with `with { type: "file" }`: the import is a path `Bun.file` can read. */
declare module "*.css" {
  const path: string;
  export default path;
}
declare module "*.png" {
  const path: string;
  export default path;
}
declare module "*.ico" {
  const path: string;
  export default path;
}
declare module "*.webmanifest" {
  const path: string;
  export default path;
}
declare module "htmx.org/dist/htmx.min.js" {
  const path: string;
  export default path;
}
declare module "*/tip.js" {
  const path: string;
  export default path;
}
declare module "*/push.js" {
  const path: string;
  export default path;
}
declare module "*/admin.js" {
  const path: string;
  export default path;
}
declare module "*/sw.js" {
  const path: string;
  export default path;
}
declare module "*.md" {
  const text: string;
  export default text;
}

// Container image references, checked in the browser before anything is sent (Python checks
// again: rollouts_widgets/actions/images.py is the same grammar).
//   [registry[:port]/]path[:tag][@sha256:<64 hex>]

const DOMAIN_COMPONENT = "(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])";
const DOMAIN = new RegExp(`^${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]{1,5})?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const MAX_NAME = 255;
const MAX_REFERENCE = 512;

/** Why `image` is not a valid reference, or "" when it is. */
export function imageError(image: string): string {
  if (!image) return "the image is empty";
  if (image.length > MAX_REFERENCE) return `longer than ${MAX_REFERENCE} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(image)) return "it contains whitespace or control characters";
  let rest = image;
  if (rest.includes("@")) {
    const at = rest.indexOf("@");
    const digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return "the digest must be sha256: followed by 64 lowercase hex digits";
  }
  let registry = "";
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      if (!DOMAIN.test(first)) return `bad registry '${first}'`;
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  const colon = rest.lastIndexOf(":");
  if (colon >= 0) {
    const tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return "a tag is letters, digits, '_', '.', '-' (at most 128)";
  }
  if (!rest) return "the repository path is empty";
  for (const part of rest.split("/")) {
    if (!PATH_COMPONENT.test(part)) {
      return `bad path component '${part}' (lowercase letters and digits, separated by '.', '_', '__' or '-')`;
    }
  }
  if (rest.length + (registry ? registry.length + 1 : 0) > MAX_NAME) {
    return `the name is longer than ${MAX_NAME} characters`;
  }
  return "";
}

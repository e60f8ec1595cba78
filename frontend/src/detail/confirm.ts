// What each action does, in words: the confirmation dialogs and the buttons' help (pure).
import type { DetailRow, Revision } from "./types";

/** Actions the bar offers, in order (ROLLBACK and SET-IMAGE live on revisions/containers). */
export const BAR = [
  "RESTART", "RETRY", "PAUSE", "RESUME", "DISABLE", "ENABLE", "PROMOTE", "PROMOTE-FULL", "ABORT",
  "ANALYSIS",
] as const;

/** Actions that change what runs: they ask first. PAUSE/RESUME/ENABLE/ANALYSIS do not. */
export const CONFIRMED = new Set(["RESTART", "RETRY", "DISABLE", "PROMOTE", "PROMOTE-FULL", "ABORT"]);

export interface Confirmation {
  title: string;
  body: string;
  confirm: string; // the confirm button's label
  danger: boolean;
}

const ref = (r: DetailRow) => `${r.namespace}/${r.name}`;

function stepName(r: DetailRow, index: number | null): string {
  if (index === null) return "";
  const step = r.steps.find((s) => s.index === index);
  return step ? `step ${index} of ${r.step_count} (${step.label})` : `step ${index}`;
}

/** The confirmation for a bar action on this rollout. */
export function confirmation(action: string, r: DetailRow): Confirmation {
  const kruise = r.provider === "kruise";
  const workload = r.workload_kind ? `${r.workload_kind} ${r.workload_name}` : "the workload";
  const k = r.step_index;
  switch (action) {
    case "PROMOTE": {
      const next = k !== null && k < r.step_count ? ` It moves on to step ${k + 1} of ${r.step_count}.` : " It completes the release.";
      return {
        title: `Promote ${ref(r)} by one step?`,
        body: `Approves ${stepName(r, k) || "the current step"}.${next} Later pauses still stop it.`,
        confirm: "PROMOTE",
        danger: false,
      };
    }
    case "PROMOTE-FULL":
      return {
        title: `Promote ${ref(r)} fully?`,
        body:
          `Skips every remaining step${k !== null ? ` (from step ${k} to ${r.step_count})` : ""} and ` +
          "releases the new version to 100% now, without further pauses or checks.",
        confirm: "PROMOTE-FULL",
        danger: true,
      };
    case "ABORT":
      return kruise
        ? {
            title: `ABORT ${ref(r)} (= DISABLE on OpenKruise)?`,
            body:
              "ABORT on an OpenKruise rollout disables it: the rollout releases the workload, and " +
              "the release completes to the new version. It does not roll back; use ROLLBACK on " +
              "the stable revision to go back.",
            confirm: "ABORT",
            danger: true,
          }
        : {
            title: `Abort ${ref(r)}?`,
            body:
              "Traffic and replicas go back to the stable version; the canary is scaled down and " +
              "the rollout shows as Degraded until RETRY or a new update.",
            confirm: "ABORT",
            danger: true,
          };
    case "DISABLE":
      return {
        title: `Disable ${ref(r)}?`,
        body:
          `The rollout stops controlling ${workload}: the release completes to the new version ` +
          "at once (this is not a rollback). ENABLE turns progressive delivery back on.",
        confirm: "DISABLE",
        danger: true,
      };
    case "RETRY":
      return kruise
        ? {
            title: `Retry ${stepName(r, k) || "the current step"} of ${ref(r)}?`,
            body: "The current step runs again from its start (its pods are re-checked and a pause waits again).",
            confirm: "RETRY",
            danger: false,
          }
        : {
            title: `Retry ${ref(r)}?`,
            body: "Clears the abort: the update starts again from the first step.",
            confirm: "RETRY",
            danger: false,
          };
    case "RESTART":
      return {
        title: `Restart the pods of ${ref(r)}?`,
        body: kruise
          ? `Sets restartedAt on the pod template of ${workload}: a new revision that is released step by step.`
          : "Sets spec.restartAt: the rollout restarts its pods, a few at a time.",
        confirm: "RESTART",
        danger: true,
      };
    default:
      return { title: `${action} ${ref(r)}?`, body: "", confirm: action, danger: false };
  }
}

export function rollbackConfirmation(r: DetailRow, rev: Revision): Confirmation {
  const number = rev.revision !== null ? `revision ${rev.revision}` : `revision ${rev.template_hash}`;
  const workload = r.workload_kind ? `${r.workload_kind} ${r.workload_name}` : r.name;
  return {
    title: `Roll back ${ref(r)} to ${number}?`,
    body:
      `The pod template of ${number} (${rev.name}; ${rev.images.join(", ") || "no images"}) ` +
      `replaces the current template of ${workload}.`,
    confirm: "ROLLBACK",
    danger: true,
  };
}

export function imageConfirmation(r: DetailRow, container: string, init: boolean, image: string): Confirmation {
  return {
    title: `Set the image of ${init ? "init container" : "container"} ${container}?`,
    body: `${ref(r)}: ${container} becomes ${image}. A new revision rolls out through the rollout's steps.`,
    confirm: "SET IMAGE",
    danger: true,
  };
}

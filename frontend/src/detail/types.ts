// The detail row: RolloutView.to_row() with raw steps, plus the `detail` block built by
// rollouts_widgets/widgets/detail.py.
import type { Row } from "../common/row";

export type StepState = "done" | "current" | "paused" | "awaiting-approval" | "pending";

export interface Step {
  index: number; // 1-based
  kind: string;
  label: string;
  state: StepState;
  raw: string; // pretty JSON of the step spec
}

export interface Pod {
  name: string;
  state: string;
  phase: string;
  reason: string;
  message: string;
  restarts: number;
  ready: boolean;
  node: string;
}

export interface Revision {
  name: string;
  kind: string;
  role: "stable" | "canary" | "preview" | "active" | "old";
  revision: number | null;
  template_hash: string;
  replicas: number | null;
  ready_replicas: number | null;
  available_replicas: number | null;
  images: string[];
  health: string;
  created: string | null;
  pods: Pod[];
}

export interface Container {
  name: string;
  image: string;
  init: boolean;
}

export interface KubeEvent {
  ts: string | null;
  type: string;
  reason: string;
  message: string;
  object_kind: string;
  object_name: string;
  count: number;
}

export interface TimelinePoint {
  ts: string;
  step: number | null;
  steps: number;
  weight: number | null;
  actual: number | null;
  status: string;
}

export interface Detail {
  error: string;
  revisions: Revision[];
  containers: Container[];
  events: KubeEvent[];
  traffic_routing: string;
  restarted_at: string;
  progress: string;
  actions: [string, boolean, string][];
  timeline: TimelinePoint[];
}

export interface DetailRow extends Row {
  steps: Step[];
  detail: Detail;
}

// Analysis (rollouts_widgets.model.analysis dataclasses as JSON).
export interface Measurement {
  phase: string;
  value: string | null;
  started_at: string | null;
  finished_at: string | null;
  message: string;
}
export interface Metric {
  name: string;
  phase: string;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  count: number;
  measurements: Measurement[];
  success_condition: string;
  failure_condition: string;
  failure_limit: number | null;
  message: string;
  provider: string;
}
export interface AnalysisRun {
  name: string;
  namespace: string;
  phase: string;
  message: string;
  started_at: string | null;
  finished_at: string | null;
  metrics: Metric[];
  kind: string;
  revision: string;
  step_index: number | null;
  duration_seconds: number | null;
}
export interface AnalysisSummary {
  source: string;
  status: string;
  summary: string;
  runs: AnalysisRun[];
  code: string | null;
}

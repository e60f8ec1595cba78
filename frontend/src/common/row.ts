// The flat row a widget receives for each rollout: RolloutView.to_row() in Python, minus
// the per-step list (the list table does not need it; the detail widget asks for it).

export interface Row {
  key: string; // cluster/namespace/name
  cluster: string;
  namespace: string;
  name: string;
  provider: string;
  api_version: string;
  strategy: string;
  status: string;
  native_phase: string;
  message: string;
  needs_attention: boolean;
  attention_reason: string;
  step_index: number | null;
  step_count: number;
  step_label: string;
  set_weight: number | null;
  actual_weight: number | null;
  replicas: number | null;
  ready_replicas: number | null;
  updated_replicas: number | null;
  available_replicas: number | null;
  stable_revision: string;
  canary_revision: string;
  images: string[];
  labels: Record<string, string>;
  workload_kind: string;
  workload_name: string;
  paused_until: string | null;
  created: string | null;
  updated: string | null;
  resource_version: string;
}

export const STATUSES = ["Healthy", "Progressing", "Paused", "Failed", "Disabled", "Unknown"];

// anywidget entry of RolloutDetail (rollouts_widgets/widgets/detail.py).
import "../detail/detail.css";
import type { Model } from "../common/protocol";
import { DetailView } from "../detail/view";

export default {
  render({ model, el }: { model: Model; el: HTMLElement }) {
    const view = new DetailView(model, el);
    return () => view.dispose();
  },
};

// anywidget entry of RolloutList (rollouts_widgets/widgets/list.py).
import "../list/list.css";
import type { Model } from "../common/protocol";
import { ListView } from "../list/view";

export default {
  render({ model, el }: { model: Model; el: HTMLElement }) {
    const view = new ListView(model, el);
    return () => view.dispose();
  },
};

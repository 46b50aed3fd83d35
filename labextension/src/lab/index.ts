// The JupyterLab 4 / Notebook 7 extension (built by `jupyter-builder build .` into
// pregel_viz/labextension, installed by the wheel into share/jupyter/labextensions/pregel-viz).
//
// - `.pregel` files: file type "pregel-log" with its icon, opened by default in the pregel-viz
//   document (the Jupyter server extension turns the log into the viewer's payload);
// - "Open with pregel-viz": file browser context menu and command palette;
// - the renderers of `application/vnd.pregel-viz+json` (one run) and
//   `application/vnd.pregel-viz-compare+json` (two runs side by side) outputs: the live widget
//   while it exists, else the static viewer (saved notebooks, no kernel).

import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { ICommandPalette, InputDialog } from "@jupyterlab/apputils";
import { IDefaultFileBrowser } from "@jupyterlab/filebrowser";
import { IRenderMimeRegistry } from "@jupyterlab/rendermime";
import type { Widget } from "@lumino/widgets";
import { FACTORY, FILE_TYPE, LogModelFactory, MODEL, PregelWidgetFactory } from "./document";
import { pregelIcon } from "./icon";
import { COMPARE_OUTPUT, outputRendererFactory, RANK, RUN_OUTPUT } from "./output";

export const COMMAND_OPEN = "pregel-viz:open";
const EXTENSION = ".pregel";

const isLog = (path: string): boolean => path.toLowerCase().endsWith(EXTENSION);

const documentPlugin: JupyterFrontEndPlugin<void> = {
  id: "pregel-viz:document",
  description: "Open .pregel logs in the pregel-viz viewer, with no kernel.",
  autoStart: true,
  optional: [ICommandPalette, IDefaultFileBrowser],
  activate: (app: JupyterFrontEnd, palette: ICommandPalette | null, browser: IDefaultFileBrowser | null) => {
    const registry = app.docRegistry;
    registry.addFileType({
      name: FILE_TYPE,
      displayName: "pregel-viz log",
      extensions: [EXTENSION],
      mimeTypes: ["application/x-pregel-viz-log"],
      fileFormat: "base64",
      contentType: "file",
      icon: pregelIcon,
    });
    registry.addModelFactory(new LogModelFactory());
    registry.addWidgetFactory(
      new PregelWidgetFactory(
        {
          name: FACTORY,
          label: "pregel-viz",
          modelName: MODEL,
          fileTypes: [FILE_TYPE],
          defaultFor: [FILE_TYPE],
          readOnly: true,
          preferKernel: false,
          canStartKernel: false,
        },
        app.serviceManager.serverSettings,
      ),
    );

    const selectedLogs = (): string[] => {
      if (!browser) return [];
      return Array.from(browser.selectedItems())
        .filter((item) => item.type !== "directory" && isLog(item.path))
        .map((item) => item.path);
    };

    app.commands.addCommand(COMMAND_OPEN, {
      label: "Open with pregel-viz",
      caption: "Show a .pregel log in the pregel-viz viewer (no kernel)",
      icon: pregelIcon,
      execute: async (args) => {
        // a path; else the file browser's selection (context menu); else (palette) ask
        let paths = typeof args.path === "string" && args.path ? [args.path] : [];
        if (!paths.length && !args.prompt) paths = selectedLogs();
        if (!paths.length) {
          const answer = await InputDialog.getText({
            title: "Open with pregel-viz",
            label: "Path of a .pregel log (from the server's root)",
            placeholder: "run.pregel",
            text: selectedLogs()[0] ?? "",
            okLabel: "Open",
          });
          if (!answer.button.accept || !answer.value?.trim()) return;
          paths = [answer.value.trim().replace(/^\/+/, "")];
        }
        for (const path of paths) {
          await app.commands.execute("docmanager:open", { path, factory: FACTORY });
        }
      },
    });
    app.contextMenu.addItem({
      command: COMMAND_OPEN,
      selector: `.jp-DirListing-item[data-file-type="${FILE_TYPE}"]`,
      rank: 1,
    });
    palette?.addItem({ command: COMMAND_OPEN, category: "pregel-viz", args: { prompt: true } });
  },
};

/** The rendermime registry of the notebook or console whose node holds `widget`. */
function registryFinder(app: JupyterFrontEnd): (widget: Widget) => IRenderMimeRegistry | null {
  return (widget) => {
    for (const main of app.shell.widgets("main")) {
      if (!main.node.contains(widget.node)) continue;
      const m = main as unknown as Record<string, { rendermime?: unknown } | undefined> & { rendermime?: unknown };
      for (const candidate of [m.content?.rendermime, m.console?.rendermime, m.rendermime]) {
        const r = candidate as Partial<IRenderMimeRegistry> | undefined;
        if (r && typeof r.createRenderer === "function" && typeof r.getFactory === "function") {
          return r as IRenderMimeRegistry;
        }
      }
    }
    return null;
  };
}

const outputPlugin: JupyterFrontEndPlugin<void> = {
  id: "pregel-viz:output",
  description: "Render application/vnd.pregel-viz+json and application/vnd.pregel-viz-compare+json outputs (saved debugger and side-by-side outputs).",
  autoStart: true,
  requires: [IRenderMimeRegistry],
  activate: (app: JupyterFrontEnd, rendermime: IRenderMimeRegistry) => {
    const find = registryFinder(app);
    for (const kind of [RUN_OUTPUT, COMPARE_OUTPUT]) rendermime.addFactory(outputRendererFactory(find, kind), RANK);
  },
};

export default [documentPlugin, outputPlugin];

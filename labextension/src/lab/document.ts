// The `.pregel` document: a read-only DocumentWidget whose content asks the server extension
// for the payload and mounts the viewer core. The browser never downloads the log itself: the
// model factory has no file format, so the document context fetches only the file's metadata.
// On first open it asks for the head (api.ts): a long log shows its first entries as soon as
// the server has read it (data-state "partial"), and the whole payload replaces them when it
// is built, at the same position.

import { Notification, ToolbarButton } from "@jupyterlab/apputils";
import {
  ABCWidgetFactory,
  DocumentModel,
  DocumentRegistry,
  DocumentWidget,
  type IDocumentWidget,
} from "@jupyterlab/docregistry";
import type { Contents, ServerConnection } from "@jupyterlab/services";
import { refreshIcon } from "@jupyterlab/ui-components";
import { Widget } from "@lumino/widgets";
import { fetchPayload } from "./api";
import { pregelIcon } from "./icon";
import { errorTitle, messageBox, partialNotice, warningsNotice } from "./message";
import { loadViewer, type MountHandle, type Payload } from "./viewer";

export const FILE_TYPE = "pregel-log";
export const FACTORY = "pregel-viz";
export const MODEL = "pregel-viz-log";

/** Models that never load or save the file's content (the server reads it). */
export class LogModelFactory implements DocumentRegistry.IModelFactory<DocumentRegistry.IModel> {
  readonly name = MODEL;
  readonly contentType: Contents.ContentType = "file";
  readonly fileFormat: Contents.FileFormat = null;
  readonly collaborative = false;
  private _disposed = false;

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    this._disposed = true;
  }

  preferredLanguage(): string {
    return "";
  }

  createNew(options: DocumentRegistry.IModelOptions = {}): DocumentRegistry.IModel {
    const model = new DocumentModel({ languagePreference: options.languagePreference, collaborationEnabled: false });
    model.readOnly = true; // "Save" would write the (empty) model over the log
    return model;
  }
}

/**
 * A log is never written from its viewer: its document model is empty, so Save (Ctrl+S) would
 * replace the log, which a recorder may still be appending to. The context says the file is
 * not writable, so JupyterLab's own commands treat the document as read-only ("Save" shows
 * "read-only, use Save as"), and its save methods refuse.
 */
export function makeReadOnly(context: DocumentRegistry.IContext<DocumentRegistry.IModel>): void {
  let proto: object | null = Object.getPrototypeOf(context);
  let getter: (() => Contents.IModel | null) | undefined;
  while (proto && !getter) {
    getter = Object.getOwnPropertyDescriptor(proto, "contentsModel")?.get;
    proto = Object.getPrototypeOf(proto);
  }
  if (getter) {
    const read = getter;
    Object.defineProperty(context, "contentsModel", {
      configurable: true,
      get: () => {
        const model = read.call(context);
        return model ? { ...model, writable: false } : model;
      },
    });
  }
  const refuse = (): void => {
    Notification.warning(`${context.localPath} is shown read-only by pregel-viz: a log is never saved from its viewer.`, { autoClose: 5000 });
  };
  context.save = async () => refuse();
  context.saveAs = async () => {
    refuse();
    return false;
  };
}

function completeSteps(payload: Payload): number {
  let n = 0;
  for (const thread of payload.threads ?? []) {
    const root = thread.namespaces?.find((s) => s.ns === "");
    n += root?.steps?.length ?? 0;
  }
  return n;
}

export class PregelDocument extends Widget {
  readonly context: DocumentRegistry.IContext<DocumentRegistry.IModel>;
  private readonly _settings: ServerConnection.ISettings | undefined;
  private readonly _status: HTMLElement;
  private readonly _host: HTMLElement;
  private _handle: MountHandle | null = null;
  private _generation = 0;
  private _loadedVersion: string | null = null;

  constructor(context: DocumentRegistry.IContext<DocumentRegistry.IModel>, settings?: ServerConnection.ISettings) {
    super();
    this.context = context;
    this._settings = settings;
    this.addClass("jp-PregelViz-document");
    this.node.tabIndex = -1;
    this._status = document.createElement("div");
    this._status.className = "jp-PregelViz-status";
    this._host = document.createElement("div");
    this._host.className = "jp-PregelViz-host";
    this.node.append(this._status, this._host);
    this.node.setAttribute("data-state", "loading");
    // JupyterLab focuses the document's node when its tab is activated (before or after the
    // payload arrives): the focus goes on to the viewer, whose keys then work with no click
    this.node.addEventListener("focus", () => this._host.querySelector<HTMLElement>(".pregel-viewer")?.focus({ preventScroll: true }));
    // the payload needs only the path: ask for it now, not after the context has fetched the
    // file's metadata (one round trip less); the version it knows is taken once it has it
    void this.load();
    void context.ready.then(() => {
      this._loadedVersion ??= context.contentsModel?.last_modified ?? null;
    });
    // "Reload from disk", or the file changed and was reverted: fetch again when it differs
    context.fileChanged.connect((_, model) => {
      if (!this._loadedVersion || !model?.last_modified || model.last_modified === this._loadedVersion) return;
      void this.load();
    });
  }

  /** Fetch the payload and show it (again); errors and warnings are shown in the document. */
  async load(): Promise<void> {
    const generation = ++this._generation;
    const path = this.context.localPath;
    this._loadedVersion = this.context.contentsModel?.last_modified ?? null;
    this._setState("loading");
    if (!this._handle) this._showStatus([messageBox(document, "notice", `Loading ${path}…`, [])]);
    let result: Awaited<ReturnType<typeof fetchPayload>>;
    let viewer: Awaited<ReturnType<typeof loadViewer>> | null = null;
    // first open: the head of a long log at once; a reload keeps the position, so it waits for
    // the whole payload (a head would cut the view back to the first entries meanwhile)
    const head = !this._handle;
    // Graphviz's WASM starts while the server reads the log, ready for the first layout
    const warm = loadViewer().then((v) => v.graphvizLayout("digraph {}"));
    warm.catch(() => undefined);
    try {
      [result, viewer] = await Promise.all([fetchPayload(path, this._settings, { head }), loadViewer()]);
    } catch (e) {
      result = { ok: false, status: 0, error: "ViewerError", message: e instanceof Error ? e.message : String(e) };
    }
    if (generation !== this._generation || this.isDisposed) return;
    if (!result.ok || !viewer) {
      const failed = result.ok ? { error: "ViewerError", message: "no viewer" } : result;
      this._clearViewer();
      this._showStatus([messageBox(document, "error", errorTitle(failed.error), [failed.message, `File: ${path}`], failed.error)]);
      this._setState("error");
      return;
    }
    const partial = result.part === "head";
    const failed = this._show(viewer, result.payload, partial);
    this._setState(failed ? "error" : partial ? "partial" : "ready");
    if (!partial || failed) return;
    let rest: Awaited<ReturnType<typeof fetchPayload>>;
    try {
      rest = await fetchPayload(path, this._settings);
    } catch (e) {
      rest = { ok: false, status: 0, error: "NetworkError", message: e instanceof Error ? e.message : String(e) };
    }
    if (generation !== this._generation || this.isDisposed) return;
    if (!rest.ok) {
      // the first entries stay on screen, with what went wrong with the rest
      this._showStatus([messageBox(document, "error", errorTitle(rest.error), [rest.message, `File: ${path}`], rest.error)]);
      this._setState("error");
      return;
    }
    this._setState(this._show(viewer, rest.payload, false) ? "error" : "ready");
  }

  /** Mount the viewer on `payload`, or give the mounted one the new payload (same position);
   * true when the viewer failed. `partial`: the first entries of a log (the warnings, which
   * count the whole log's steps, are shown with the whole payload). */
  private _show(viewer: Awaited<ReturnType<typeof loadViewer>>, payload: Payload, partial: boolean): boolean {
    const notice = partial
      ? partialNotice(document, completeSteps(payload))
      : warningsNotice(document, payload.warnings ?? [], completeSteps(payload));
    this._showStatus(notice ? [notice] : []);
    if (this._handle?.viewer) {
      this._handle.viewer.setPayload(payload); // keeps the position (a log that grew)
    } else {
      this._clearViewer();
      // the viewer fills the tab; it takes the focus when the document has it (just opened)
      const focused = this.node.contains(document.activeElement);
      this._handle = viewer.mount(this._host, payload, { fill: true, focus: focused });
    }
    return this._host.querySelector(".pv-failed") !== null;
  }

  protected override onActivateRequest(): void {
    const root = this._host.querySelector<HTMLElement>(".pregel-viewer");
    (root ?? this.node).focus();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this._generation++;
    this._clearViewer();
    super.dispose();
  }

  private _clearViewer(): void {
    this._handle?.destroy();
    this._handle = null;
    this._host.replaceChildren();
  }

  private _showStatus(children: HTMLElement[]): void {
    this._status.replaceChildren(...children);
  }

  private _setState(state: "loading" | "partial" | "ready" | "error"): void {
    this.node.setAttribute("data-state", state);
  }
}

export class PregelWidgetFactory extends ABCWidgetFactory<IDocumentWidget<PregelDocument>> {
  private readonly _settings: ServerConnection.ISettings | undefined;

  constructor(options: DocumentRegistry.IWidgetFactoryOptions<IDocumentWidget<PregelDocument>>, settings?: ServerConnection.ISettings) {
    super(options);
    this._settings = settings;
  }

  protected createNewWidget(context: DocumentRegistry.IContext<DocumentRegistry.IModel>): IDocumentWidget<PregelDocument> {
    makeReadOnly(context);
    const content = new PregelDocument(context, this._settings);
    const widget = new DocumentWidget({ content, context });
    widget.addClass("jp-PregelViz-documentWidget");
    widget.title.icon = pregelIcon;
    widget.toolbar.addItem(
      "pregel-viz-reload",
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: "Read the log again from disk",
        onClick: () => void content.load(),
      }),
    );
    return widget;
  }
}

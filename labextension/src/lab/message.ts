// Messages shown inside a document or an output, as text (never markup).

const TITLES: Record<string, string> = {
  NotALogError: "This file is not a pregel-viz log",
  LogVersionError: "This log was written by a newer version of pregel-viz",
  NotAFileError: "This is not a log file",
  CorruptLogError: "This log is damaged",
  LogTooLargeError: "This log is too large to open",
  LogFormatError: "This log cannot be read",
  NoServerExtension: "The pregel-viz server extension is missing",
  NetworkError: "The Jupyter server could not be reached",
  ViewerError: "The pregel-viz viewer could not be loaded",
};

export function errorTitle(kind: string): string {
  return TITLES[kind] ?? "This log cannot be opened";
}

export function messageBox(doc: Document, kind: "error" | "notice", title: string, lines: string[], code?: string): HTMLElement {
  const box = doc.createElement("div");
  box.className = `jp-PregelViz-message jp-PregelViz-${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  if (code) box.setAttribute("data-error", code);
  const head = doc.createElement("div");
  head.className = "jp-PregelViz-message-title";
  head.textContent = title;
  box.appendChild(head);
  for (const line of lines) {
    const body = doc.createElement("div");
    body.className = "jp-PregelViz-message-body";
    body.textContent = line;
    box.appendChild(body);
  }
  return box;
}

/** The notice for a payload's warnings (a truncated log first), or null when there are none. */
export function warningsNotice(doc: Document, warnings: unknown[], completeSteps: number): HTMLElement | null {
  const texts = warnings.map((w) => (typeof w === "string" ? w : JSON.stringify(w)));
  if (!texts.length) return null;
  const truncated = texts.some((t) => /ends inside a frame|truncated/i.test(t));
  const title = truncated
    ? `This log is truncated: showing its ${completeSteps} complete superstep${completeSteps === 1 ? "" : "s"}.`
    : `${texts.length} warning${texts.length === 1 ? "" : "s"} while reading this log`;
  return messageBox(doc, "notice", title, texts);
}

/** The notice of a document that shows the first entries of a long log while the rest is read. */
export function partialNotice(doc: Document, shownSteps: number): HTMLElement {
  const box = messageBox(doc, "notice", `Showing the first ${shownSteps} supersteps while the rest of the log is read…`, []);
  box.classList.add("jp-PregelViz-partial");
  return box;
}

import { LabIcon } from "@jupyterlab/ui-components";

// Three steps of a graph: nodes in the brand colour, edges in the theme's icon colour.
const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="none" stroke="#616161" stroke-width="1.8" stroke-linecap="round">
    <path d="M8.4 6.5 15.6 10.5M15.6 13.5 8.4 17.5M5.5 8v8"/>
  </g>
  <g class="jp-icon-brand0" fill="#1976d2">
    <circle cx="5.5" cy="5" r="3"/>
    <circle cx="18.5" cy="12" r="3"/>
    <circle cx="5.5" cy="19" r="3"/>
  </g>
</svg>`;

export const pregelIcon = new LabIcon({ name: "pregel-viz:log", svgstr });

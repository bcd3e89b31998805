/** `--router-mode`: when the router is asked, and what it may decide (see routeDecision). */
export const ROUTER_MODES = ['default', 'first', 'only'] as const;
export type RouterMode = (typeof ROUTER_MODES)[number];

export interface RouterOptions {
  /** The router's prompt file (`--router-prompt`). */
  promptPath: string;
  mode: RouterMode;
  /** The prompts it may name (`--router-allowlist`, names without `.md`); absent: any in prompts/. */
  allowlist?: string[];
}

import type { Command } from '../command';

/** Every `byodkim` sub-command, in the order `byodkim help` lists them. */
export const commands: readonly Command[] = [];

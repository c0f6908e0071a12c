import type { Command } from '../command';
import { keygen } from './keygen';
import { simulateCommand } from './simulate';
import { verifyDnsCommand } from './verify-dns';

/** Every `byodkim` sub-command, in the order `byodkim help` lists them. */
export const commands: readonly Command[] = [keygen, verifyDnsCommand, simulateCommand];

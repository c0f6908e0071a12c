import type { Command } from '../command';
import { actionCommands } from './actions';
import { dnsRequestCommand } from './dns-request';
import { keygen } from './keygen';
import { reportCommand } from './report';
import { simulateCommand } from './simulate';
import { statusCommand } from './status';
import { tickCommand } from './tick';
import { verifyDnsCommand } from './verify-dns';

/** Every `byodkim` sub-command, in the order `byodkim help` lists them. */
export const commands: readonly Command[] = [
  statusCommand,
  ...actionCommands,
  dnsRequestCommand,
  verifyDnsCommand,
  reportCommand,
  tickCommand,
  keygen,
  simulateCommand,
];

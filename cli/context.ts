import type { Command } from 'commander';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config.js';
import { createLogger } from '../logger.js';

/** What every command's action reads: the configuration and the process's root logger. */
export interface CliContext {
  /** Loaded and frozen once, before any action runs; a bad environment fails the command before it starts. */
  readonly config: Config;
  /** Created on first use at the configured level, so commands that never log open no logger. */
  readonly logger: Logger;
}

/**
 * The context of `program`'s actions: its `preAction` hook (which commander runs for nested commands too) loads
 * the configuration from the environment. Help and usage errors run no action, so they never read it.
 */
export function cliContext(program: Command, env: Record<string, string | undefined> = process.env): CliContext {
  let config: Config | undefined;
  let logger: Logger | undefined;
  program.hook('preAction', () => {
    config = loadConfig(env);
  });
  return {
    get config(): Config {
      if (!config)
        throw new Error('the configuration is read before any action runs, not while commands are registered');
      return config;
    },
    get logger(): Logger {
      logger ??= createLogger(this.config.logLevel, 'enrich', this.config.logFormat);
      return logger;
    },
  };
}

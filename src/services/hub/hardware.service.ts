import {BindingScope, inject, injectable} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import {promises as fs} from 'node:fs';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {parseByteSize} from '../../utils/byte-size.util';

/** A hardware option as GET /volume/hardware answers it: memory in bytes. */
export interface HardwareOption {
  name: string;
  description?: string;
  /** Cores, fractions allowed. */
  cpu?: number;
  /** Bytes. */
  memory?: number;
  /** Whole GPUs. */
  gpu?: number;
}

/** What a server of a hardware option may use; a size the file leaves out is not limited. */
export type HardwareLimits = Omit<HardwareOption, 'description'>;

/**
 * The hardware options of HARDWARE_FILE: a JSON array of `{"name",
 * "description"?, "cpu"?, "memory"?, "gpu"?}`, memory written as JupyterHub
 * writes it ("2G", "512M"). The hub's spawner gets an option's sizes in
 * each server's launch plan. The file is read on each request, so an edit applies without a
 * restart; a file that is wrong is the operator's error, answered 500
 * naming the file and the entry.
 */
@injectable({scope: BindingScope.SINGLETON})
export class HardwareService {
  constructor(@inject(AppBindings.CONFIG) private readonly config: AppConfig) {}

  async options(): Promise<HardwareOption[]> {
    const file = this.config.hardwareFile;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (err) {
      throw new HttpErrors.InternalServerError(`The hardware options in ${file} cannot be read: ${(err as Error).message}`);
    }
    if (!Array.isArray(parsed)) {
      throw new HttpErrors.InternalServerError(
        `${file} must be a JSON array of {"name": string, "description"?: string, "cpu"?: number, "memory"?: string, "gpu"?: integer}`,
      );
    }
    const seen = new Set<string>();
    return parsed.map((entry: unknown, index) => {
      const option = readOption(entry, index, seen);
      if (typeof option === 'string') throw new HttpErrors.InternalServerError(`${file}: ${option}`);
      seen.add(option.name);
      return option;
    });
  }

  async names(): Promise<string[]> {
    return (await this.options()).map(option => option.name);
  }

  /** The sizes of the named option, undefined when there is no such option. */
  async limits(name: string): Promise<HardwareLimits | undefined> {
    const option = (await this.options()).find(o => o.name === name);
    if (!option) return undefined;
    const {cpu, memory, gpu} = option;
    return {name, ...(cpu !== undefined ? {cpu} : {}), ...(memory !== undefined ? {memory} : {}), ...(gpu !== undefined ? {gpu} : {})};
  }

  async assertKnown(hardware: string): Promise<void> {
    const names = await this.names();
    if (!names.includes(hardware)) {
      throw new HttpErrors.BadRequest(`hardware "${hardware}" is not one of the options: ${names.join(', ')}`);
    }
  }
}

/** One entry of the file as an option, or what is wrong with it. */
function readOption(entry: unknown, index: number, seen: Set<string>): HardwareOption | string {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return `hardware[${index}] must be an object`;
  // A null size is a size left out, as the hub's spawner reads it.
  const {name, description, cpu, memory, gpu} = withoutNulls(entry as Record<string, unknown>);
  if (typeof name !== 'string' || name === '') return `hardware[${index}] needs a "name" (a non-empty string)`;
  const what = `hardware[${index}] ("${name}")`;
  if (seen.has(name)) return `${what} is defined twice`;
  if (description !== undefined && typeof description !== 'string') return `${what}: "description" must be a string`;
  if (cpu !== undefined && !(typeof cpu === 'number' && Number.isFinite(cpu) && cpu > 0)) {
    return `${what}: "cpu" must be a positive number of cores`;
  }
  if (gpu !== undefined && !(typeof gpu === 'number' && Number.isInteger(gpu) && gpu >= 0)) {
    return `${what}: "gpu" must be a whole number >= 0`;
  }
  let bytes: number | undefined;
  try {
    bytes = memory === undefined ? undefined : parseByteSize(memory);
  } catch (err) {
    return `${what}: ${(err as Error).message}`;
  }
  return {
    name,
    ...(description !== undefined ? {description} : {}),
    ...(cpu !== undefined ? {cpu} : {}),
    ...(bytes !== undefined ? {memory: bytes} : {}),
    // No GPU is no GPU limit, as the hub's spawner reads 0.
    ...(gpu ? {gpu} : {}),
  };
}

function withoutNulls(entry: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== null));
}

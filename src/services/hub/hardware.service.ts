import {BindingScope, inject, injectable} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import {promises as fs} from 'node:fs';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';

export interface HardwareOption {
  name: string;
  description?: string;
}

/**
 * The hardware options of HARDWARE_FILE: a JSON array of
 * `{"name": "...", "description": "..."}`. The file is read on each request,
 * so an edit applies without a restart.
 */
@injectable({scope: BindingScope.SINGLETON})
export class HardwareService {
  constructor(@inject(AppBindings.CONFIG) private readonly config: AppConfig) {}

  async options(): Promise<HardwareOption[]> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await fs.readFile(this.config.hardwareFile, 'utf8'));
    } catch (err) {
      throw new HttpErrors.InternalServerError(
        `The hardware options in ${this.config.hardwareFile} cannot be read: ${(err as Error).message}`,
      );
    }
    if (!Array.isArray(parsed) || !parsed.every(o => typeof o?.name === 'string' && o.name !== '')) {
      throw new HttpErrors.InternalServerError(
        `${this.config.hardwareFile} must be a JSON array of {"name": string, "description"?: string}`,
      );
    }
    return parsed as HardwareOption[];
  }

  async names(): Promise<string[]> {
    return (await this.options()).map(option => option.name);
  }

  async assertKnown(hardware: string): Promise<void> {
    const names = await this.names();
    if (!names.includes(hardware)) {
      throw new HttpErrors.BadRequest(`hardware "${hardware}" is not one of the options: ${names.join(', ')}`);
    }
  }
}

import {expect} from '@loopback/testlab';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {isSettableEnvName, MODULE_OWNER_MAX_LENGTH, MODULE_OWNER_PATTERN, secretFilePath} from '../../src/utils/launch-plan.util';

const CONTRACT = JSON.parse(readFileSync(path.resolve(__dirname, '../../../hub/notebooks_hub_spawner/launch_plan.schema.json'), 'utf8'));

describe("The API's rules of the launch plan contract", () => {
  it("hold module owners to the contract file's rule, word for word (the other rules: launch-plan-rules)", () => {
    const moduleOwner = CONTRACT.properties.modules.items.properties.owner;
    expect([moduleOwner.pattern, moduleOwner.maxLength]).to.deepEqual([MODULE_OWNER_PATTERN, MODULE_OWNER_MAX_LENGTH]);
  });

  it('let a secret set its own variables, never the ones that decide what runs', () => {
    for (const name of ['API_KEY', 'token', '_private', 'PYPI_TOKEN'])
      expect({name, ok: isSettableEnvName(name)}).to.deepEqual({name, ok: true});
    for (const name of ['PATH', 'LD_PRELOAD', 'PYTHONPATH', 'JUPYTERHUB_API_TOKEN', 'BASH_FUNC_x%%', '1ABC', 'A'.repeat(129)]) {
      expect({name, ok: isSettableEnvName(name)}).to.deepEqual({name, ok: false});
    }
  });

  it('put a raw secret at its mount_path when that is a plain relative path, else at a name made from it, else at its id', () => {
    const id = '16fd2706-8baf-433b-82eb-8c7fada847da';
    const none = new Set<string>();
    expect(secretFilePath({id, secretName: 'Key', mountPath: 'keys/api.txt'}, none)).to.equal('keys/api.txt');
    expect(secretFilePath({id, secretName: 'Key', mountPath: '/home/ann/.key'}, none)).to.equal('Key');
    expect(secretFilePath({id, secretName: 'My key (prod)', mountPath: 'a/../b'}, none)).to.equal('My_key__prod_');
    expect(secretFilePath({id, secretName: '..'}, none)).to.equal(id);
    expect(secretFilePath({id, secretName: '.'}, none)).to.equal(id);
    expect(secretFilePath({id, secretName: 'Key'}, new Set(['Key']))).to.equal(id);
  });
});

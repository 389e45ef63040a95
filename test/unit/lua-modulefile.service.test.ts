import {expect} from '@loopback/testlab';
import {LuaModulefileService, luaString} from '../../src/kinds/module/lua-modulefile.service';

describe('LuaModulefileService', () => {
  const lua = new LuaModulefileService();
  const BINARIES = '/opt/modules/binaries/4f1c';

  it('emits arguments as double-quoted literals with quotes, backslashes and control characters escaped', () => {
    expect(luaString('a"b')).to.equal('"a\\"b"');
    expect(luaString('a\\b')).to.equal('"a\\\\b"');
    expect(luaString('a\nb')).to.equal('"a\\nb"');
    expect(luaString('a\rb\u0001c\u007f1')).to.equal('"a\\013b\\001c\\1271"');
    expect(luaString(']] [[ é')).to.equal('"]] [[ é"');
  });

  it('renders the module\'s binaries folder on PATH, then one call per line, after a comment that holds no user input', () => {
    const text = lua.render(
      [
        {id: 'help', arguments: ['one', 'two']},
        {id: 'setenv', arguments: ['X', 'y']},
      ],
      BINARIES,
    );
    expect(text.split('\n').slice(2)).to.deepEqual([
      'prepend_path("PATH", "/opt/modules/binaries/4f1c")',
      'help("one", "two")',
      'setenv("X", "y")',
      '',
    ]);
  });

  it('refuses an unknown function naming its position', () => {
    expect(() => lua.render([{id: 'whatis', arguments: ['x']}, {id: 'execute', arguments: ['rm -rf /']}], BINARIES))
      .to.throw(/luaModuleFile\[1\]\.id "execute" is not an allowed function/);
  });

  it('refuses a wrong number of arguments', () => {
    expect(() => lua.render([{id: 'setenv', arguments: ['ONLY_NAME']}], BINARIES)).to.throw(/setenv takes 2 arguments, got 1/);
    expect(() => lua.render([{id: 'help', arguments: []}], BINARIES)).to.throw(/help takes 1 to 16 arguments, got 0/);
  });

  it('refuses line breaks in values Lmod exports to the shell, where they would start a command', () => {
    expect(() => lua.render([{id: 'setenv', arguments: ['X', 'safe\nrm -rf ~']}], BINARIES)).to.throw(/may not hold line breaks/);
    expect(() => lua.render([{id: 'prepend_path', arguments: ['PATH', '/a\r/b']}], BINARIES)).to.throw(/may not hold line breaks/);
    expect(lua.render([{id: 'help', arguments: ['two\nlines']}], BINARIES)).to.containEql('help("two\\nlines")');
  });

  it('refuses an invalid environment variable name and NUL characters', () => {
    expect(() => lua.render([{id: 'setenv', arguments: ['BAD NAME', 'x']}], BINARIES)).to.throw(/arguments\[0\] "BAD NAME"/);
    expect(() => lua.render([{id: 'setenv', arguments: ['X', 'a\u0000b']}], BINARIES)).to.throw(/NUL/);
  });
});

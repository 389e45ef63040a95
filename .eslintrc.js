module.exports = {
  extends: '@loopback/eslint-config',
  parserOptions: {project: ['./tsconfig.json', './web/tsconfig.json'], tsconfigRootDir: __dirname},
  rules: {
    // Wire formats fix many property names: OAuth (access_token, id_token),
    // the seed's API (write_access, mount_path) and JupyterHub's user_options.
    '@typescript-eslint/naming-convention': 'off',
  },
};

module.exports = {
  extends: '@loopback/eslint-config',
  parserOptions: {project: './tsconfig.json', tsconfigRootDir: __dirname},
};

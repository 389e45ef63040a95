// A Redocly plugin: `x-event-data` on a schema is itself a schema (the data
// of each event of a text/event-stream body, which OpenAPI 3.0 cannot say),
// so the lint follows its $ref and counts the component as used.
module.exports = function eventDataPlugin() {
  return {
    id: 'event-data',
    typeExtension: {
      oas3(types) {
        return {...types, Schema: {...types.Schema, properties: {...types.Schema.properties, 'x-event-data': 'Schema'}}};
      },
    },
  };
};

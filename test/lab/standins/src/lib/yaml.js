// The `yaml` package: from node_modules in the repository, from the bundled single file in the packages.
import YAML from 'yaml';
export default YAML;
export const parseAllDocs = (text) =>
  YAML.parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(d.errors[0].message);
      return d.toJS();
    })
    .filter((d) => d !== null && d !== undefined);
export const stringify = (o) => YAML.stringify(o, { lineWidth: 0 });

// The one SaxonJS call the EN 16931 validator makes (saxon-js ships no types).
declare module "saxon-js" {
  interface TransformOptions {
    stylesheetInternal: unknown;
    sourceText: string;
    destination: "serialized";
  }
  const SaxonJS: {
    transform(options: TransformOptions, mode: "async"): Promise<{ principalResult: string }>;
  };
  export default SaxonJS;
}

/**
 * The error an export fails with when a layer computes something ONNX cannot express (or the
 * exporter does not map yet): it names the layer (dotted module path and class) and the ATen
 * operator, so the user knows what to change.
 *
 * @example
 *   try { exportOnnx(model); } catch (e) { if (e instanceof ExportError) console.error(e.module, e.operator); }
 */
export class ExportError extends Error {
  constructor(
    message: string,
    /** Dotted path of the module whose forward made the call ('' is the model itself). */
    readonly module: string,
    /** The module's class name. */
    readonly moduleType: string,
    /** The ATen operator (`aten::name.overload`). */
    readonly operator: string,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

/** The standard wording: `cannot export layer 'features.3' (MyLayer): ...`. */
export function exportError(module: string, moduleType: string, operatorName: string, why: string): ExportError {
  const where = module ? `layer '${module}' (${moduleType})` : `the model's own forward (${moduleType})`;
  return new ExportError(`cannot export ${where}: ATen operator 'aten::${operatorName}' ${why}`, module, moduleType, `aten::${operatorName}`);
}

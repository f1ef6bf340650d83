// A TypeDoc plugin (typedoc.json loads it): a property defined in a zod object schema,
// `z.object({ lr: z.number().default(0.01).describe('peak learning rate') })`, documents itself
// with its `.describe()` text when it has no doc comment of its own. The training
// configuration's fields are described once, in the schema, and that text is both what
// `finegrain train --help` prints and what the API reference shows for `TrainConfig`.
import ts from 'typescript';
import { Comment, Converter, ReflectionKind } from 'typedoc';

/** The string passed to `.describe()` somewhere in a chain of schema calls, or undefined. */
function describedAs(expression) {
  let e = expression;
  while (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
    const [arg] = e.arguments;
    if (e.expression.name.text === 'describe' && e.arguments.length === 1 && ts.isStringLiteralLike(arg)) return arg.text;
    e = e.expression.expression;
  }
  return undefined;
}

export function load(app) {
  // After the comment plugin (priority 0) has looked for a doc comment, so one written in the
  // schema wins over the description.
  app.converter.on(
    Converter.EVENT_CREATE_DECLARATION,
    (context, reflection) => {
      if (!reflection.kindOf(ReflectionKind.Property) || reflection.hasComment()) return;
      for (const declaration of context.getSymbolFromReflection(reflection)?.declarations ?? []) {
        const text = ts.isPropertyAssignment(declaration) ? describedAs(declaration.initializer) : undefined;
        if (text) {
          reflection.comment = new Comment([{ kind: 'text', text: text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.') }]);
          return;
        }
      }
    },
    -100,
  );
}

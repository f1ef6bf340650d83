// A TypeDoc plugin (typedoc.json loads it): every documented export must carry a doc comment of
// its own. TypeDoc fills two gaps silently, and its notDocumented check then counts the export
// as documented:
//
// - a class or interface without a comment gets its parent's (every layer would be described
//   as "`Module`: the base of every layer and model");
// - a doc comment on `export { a, b } from './x.js'` (an index file's header, say) becomes the
//   comment of every re-exported symbol that has none.
//
// Both are reported as validation warnings, which treatValidationWarningsAsErrors makes errors
// like any other undocumented export. An index file's header comment says `@module`, which makes
// it the file's comment rather than its exports'.
import { relative } from 'node:path';
import ts from 'typescript';
import { Application, Converter, ReflectionKind } from 'typedoc';

/** `export { a, b } from ...` statements of a file that a doc comment without @module precedes. */
function commentedReexports(sourceFile) {
  const out = [];
  for (const statement of sourceFile.statements) {
    if (!ts.isExportDeclaration(statement) || !statement.exportClause || !ts.isNamedExports(statement.exportClause)) continue;
    if (statement.exportClause.elements.length < 2) continue; // one specifier: the comment is meant for it
    const text = sourceFile.text;
    const docs = (ts.getLeadingCommentRanges(text, statement.pos) ?? []).map((r) => text.slice(r.pos, r.end)).filter((c) => c.startsWith('/**'));
    if (docs.some((c) => !/@module|@packageDocumentation/.test(c))) out.push(statement);
  }
  return out;
}

export function load(app) {
  const bare = new Set();
  const reexports = [];
  // After the comment plugin (priority 0) has attached the declaration's own comment, before
  // inheritance copies the parent's.
  app.converter.on(
    Converter.EVENT_CREATE_DECLARATION,
    (_context, reflection) => {
      if (reflection.kindOf(ReflectionKind.ClassOrInterface) && !reflection.hasComment()) bare.add(reflection);
    },
    -100,
  );
  app.converter.on(Converter.EVENT_END, (context) => {
    for (const sourceFile of context.programs.flatMap((p) => p.getSourceFiles())) {
      if (sourceFile.isDeclarationFile || sourceFile.fileName.includes('/node_modules/')) continue;
      for (const statement of commentedReexports(sourceFile)) {
        const { line } = sourceFile.getLineAndCharacterOfPosition(statement.getStart(sourceFile));
        reexports.push(`${relative(process.cwd(), sourceFile.fileName)}:${line + 1}`);
      }
    }
  });
  app.on(Application.EVENT_VALIDATE_PROJECT, (project) => {
    if (!app.options.getValue('validation').notDocumented) return;
    for (const reflection of bare) {
      if (project.getReflectionById(reflection.id) !== reflection) continue; // left out of the reference
      // Without a comment now, TypeDoc's own check has reported it already.
      if (!reflection.hasComment()) continue;
      app.logger.validationWarning(
        `${reflection.getFriendlyFullName()} (${ReflectionKind[reflection.kind]}) has no doc comment of its own, only the one it inherits`,
      );
    }
    for (const where of new Set(reexports)) {
      app.logger.validationWarning(
        `${where}: the doc comment on this re-export documents every symbol it names that has no comment of its own; mark it @module or make it a line comment`,
      );
    }
    bare.clear();
    reexports.length = 0;
  });
}

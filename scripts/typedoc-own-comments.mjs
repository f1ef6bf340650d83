// A TypeDoc plugin (typedoc.json loads it): a class or interface must have a doc comment of its
// own. TypeDoc gives one that has none its parent's comment (every layer would be described as
// "`Module`: the base of every layer and model"), and its notDocumented check then counts it
// as documented. This plugin notes which classes and interfaces were created without a
// comment and reports each that is still in the reference with an inherited one as a validation warning, which
// treatValidationWarningsAsErrors makes an error like any other undocumented export.
import { Application, Converter, ReflectionKind } from 'typedoc';

export function load(app) {
  const bare = new Set();
  // After the comment plugin (priority 0) has attached the declaration's own comment, before
  // inheritance copies the parent's.
  app.converter.on(
    Converter.EVENT_CREATE_DECLARATION,
    (_context, reflection) => {
      if (reflection.kindOf(ReflectionKind.ClassOrInterface) && !reflection.hasComment()) bare.add(reflection);
    },
    -100,
  );
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
    bare.clear();
  });
}

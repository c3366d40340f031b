import * as core from '@actions/core';
import type { Redactor } from '../audit/redact.js';
import type { Annotation, Logger } from '../log.js';

function props(a: Annotation | undefined): core.AnnotationProperties {
  if (!a) return {};
  const p: core.AnnotationProperties = {};
  if (a.title) p.title = a.title;
  if (a.file) p.file = a.file;
  if (a.startLine) p.startLine = a.startLine;
  return p;
}

/** Logger on @actions/core: groups fold in the log, warnings and errors become annotations. */
export function actionsLogger(redactor?: Redactor): Logger {
  const r = (m: string) => (redactor ? redactor.redact(m) : m);
  return {
    debug: (m) => core.debug(r(m)),
    info: (m) => core.info(r(m)),
    warn: (m, a) => core.warning(r(m), props(a)),
    error: (m, a) => core.error(r(m), props(a)),
    group: (name, fn) => core.group(name, fn),
  };
}

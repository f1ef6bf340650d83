/**
 * JSON Schemas of the HTTP API: Fastify validates the query strings and serialises the
 * answers with them, and GET /openapi.json is built from them — one description, so the
 * documentation cannot drift from what the server does. Field names are snake_case.
 */
const prediction = { type: 'object', required: ['label', 'score'], properties: { label: { type: 'string' }, score: { type: 'number' } } } as const;

const unknown = {
  type: 'object',
  description: 'The open-world verdict: is the photo of none of the known classes?',
  required: ['is_unknown', 'score', 'threshold', 'method'],
  properties: {
    is_unknown: { type: 'boolean' },
    score: { type: 'number' },
    threshold: { type: 'number' },
    method: { type: 'string' },
    calibrated: { type: 'boolean' },
  },
} as const;

const quality = {
  type: 'object',
  required: ['ok', 'issues', 'measures'],
  properties: {
    ok: { type: 'boolean' },
    issues: {
      type: 'array',
      items: { type: 'string', enum: ['dark', 'overexposed', 'blurry', 'low_contrast', 'noisy', 'compression_artifacts', 'low_resolution'] },
    },
    measures: { type: 'object', additionalProperties: { type: 'number' } },
  },
} as const;

const hierarchy = {
  type: 'object',
  description:
    'With a class hierarchy beside the model (finegrain hierarchy): the answer top-down with a score per level, and the deepest level it is sure of (-1: none)',
  required: ['path', 'deepest_confident'],
  properties: {
    path: {
      type: 'array',
      items: {
        type: 'object',
        required: ['level', 'name', 'score', 'confident'],
        properties: { level: { type: 'string' }, name: { type: 'string' }, score: { type: 'number' }, confident: { type: 'boolean' } },
      },
    },
    deepest_confident: { type: 'integer' },
  },
} as const;

const model = {
  type: 'object',
  required: ['name', 'checkpoint_hash'],
  properties: {
    name: { type: 'string' },
    architecture: { type: 'string' },
    checkpoint_hash: { type: 'string', description: 'sha256 of the checkpoint file(s), joined by +' },
  },
} as const;

const timing = {
  type: 'object',
  required: ['decode', 'queue', 'inference', 'total'],
  properties: {
    decode: { type: 'number' },
    queue: { type: 'number' },
    inference: { type: 'number' },
    total: { type: 'number' },
    batch_size: { type: 'integer' },
  },
} as const;

const attention = {
  type: 'string',
  description: 'PNG heat map over the photo (data URL): the class activation map of the predicted (classify) or claimed (verify) class',
} as const;
const attentionDetail = {
  type: 'object',
  properties: {
    label: { type: 'string', description: 'the class the map is for' },
    method: { type: 'string', enum: ['cam', 'grad-cam', 'feature-mean'] },
    class_agnostic: { type: 'string', description: "PNG data URL: the recipe's class-agnostic attention image" },
  },
} as const;

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' }, reason: { type: 'string' }, closest: { type: 'array', items: { type: 'string' } } },
} as const;

const errors = { 400: errorSchema, 401: errorSchema, 413: errorSchema, 415: errorSchema, 503: errorSchema, 504: errorSchema };

export const imageQuery = {
  type: 'object',
  properties: {
    top_k: { type: 'integer', minimum: 1, default: 5, description: 'classes to return' },
    attention: { type: 'boolean', default: false, description: 'also return the activation map over the photo' },
  },
} as const;

export const verifyQuery = {
  type: 'object',
  properties: { ...imageQuery.properties, claimed: { type: 'string', description: 'the class the photo claims to show' } },
} as const;

export const classifyResponse = {
  type: 'object',
  required: ['predictions', 'unknown', 'quality', 'model', 'timing_ms'],
  properties: {
    predictions: { type: 'array', items: prediction },
    unknown,
    quality,
    hierarchy,
    attention,
    attention_detail: attentionDetail,
    model,
    timing_ms: timing,
  },
} as const;

export const verifyResponse = {
  type: 'object',
  required: ['decision', 'reason', 'claimed', 'predictions', 'unknown', 'quality', 'model', 'timing_ms'],
  properties: {
    decision: { type: 'string', enum: ['match', 'mismatch', 'uncertain'] },
    reason: { type: 'string' },
    level: { type: 'string', description: "with a class hierarchy, the level a claim naming a group of classes was decided at ('make', 'model')" },
    claimed: {
      type: 'object',
      required: ['label', 'score', 'rank'],
      properties: { label: { type: 'string' }, score: { type: 'number' }, rank: { type: 'integer' } },
    },
    hierarchy,
    predictions: { type: 'array', items: prediction },
    unknown,
    quality,
    attention,
    attention_detail: attentionDetail,
    model,
    timing_ms: timing,
  },
} as const;

export const classifySchema = {
  summary: 'The classes of a photo',
  description:
    'The image as the raw body (image/*, application/octet-stream), a multipart field \'image\', or JSON {"image": "<base64>"}; options in the query string or the body.',
  querystring: imageQuery,
  response: { 200: classifyResponse, ...errors },
};

export const verifySchema = {
  summary: 'Does a photo show the class it claims?',
  description: "Like /v1/classify, plus 'claimed' (a class name): decision match | mismatch | uncertain with the reason.",
  querystring: verifyQuery,
  response: { 200: verifyResponse, ...errors },
};

export const modelSchema = {
  summary: 'The model: classes, architecture, input size, thresholds',
  response: { 200: { type: 'object', additionalProperties: true } },
};

export const healthSchema = { summary: 'Liveness: the process answers', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } };
export const readySchema = {
  summary: 'Readiness: the model is loaded and warmed up (503 until then, and while draining)',
  response: { 200: { type: 'object', properties: { status: { type: 'string' } } }, 503: { type: 'object', properties: { status: { type: 'string' } } } },
};

const enrolledClass = {
  type: 'object',
  required: ['name', 'photos', 'enrolled_at'],
  properties: {
    name: { type: 'string' },
    photos: { type: 'integer', description: 'how many photos it was enrolled from' },
    enrolled_at: { type: 'string', description: 'ISO 8601' },
    parents: { type: 'array', items: { type: 'string' }, description: 'its ancestors in the class hierarchy, top-down' },
  },
} as const;

export const classesSchema = {
  summary: 'The classes: trained, then enrolled from photos (POST /v1/classes)',
  response: {
    200: {
      type: 'object',
      required: ['trained', 'enrolled', 'num_classes'],
      properties: {
        trained: { type: 'array', items: { type: 'string' } },
        enrolled: { type: 'array', items: enrolledClass },
        num_classes: { type: 'integer' },
      },
    },
  },
};

export const enrollSchema = {
  summary: 'Enroll a class from a few photos (1–50), with no training; it answers from the next request on',
  description:
    'multipart/form-data (field name, optional parents "Make/Model", photos as files) or JSON {"name", "photos": ["<base64>", …], "parents": [...]}. Needs the API key when the server has one, else a client on the same machine. 409 when the name is a class already.',
  response: {
    201: {
      type: 'object',
      required: ['name', 'photos', 'enrolled_at', 'num_classes'],
      properties: { ...enrolledClass.properties, num_classes: { type: 'integer' }, timing_ms: { type: 'object', properties: { total: { type: 'number' } } } },
    },
    400: errorSchema,
    401: errorSchema,
    403: errorSchema,
    409: errorSchema,
    413: errorSchema,
    415: errorSchema,
  },
};

export const deleteClassSchema = {
  summary: 'Remove an enrolled class (trained classes stay until the model is retrained)',
  params: { type: 'object', properties: { name: { type: 'string' } } },
  response: {
    200: { type: 'object', required: ['removed', 'num_classes'], properties: { removed: { type: 'string' }, num_classes: { type: 'integer' } } },
    401: errorSchema,
    403: errorSchema,
    404: errorSchema,
    409: errorSchema,
  },
};

// The HTTP routes of the coordinator, named once for the server, the runtime and the tests.
// Researcher routes take `Authorization: Bearer <project token>`; volunteer routes take
// `Authorization: Bearer <volunteer token>` obtained from the challenge/token exchange.
export const API = {
  health: '/healthz',
  wellKnown: '/.well-known/bricolage.json',
  openapi: '/api/openapi.json',

  // public
  projects: '/v1/projects', // GET: public list of projects; POST: create one (operator token)
  projectStatus: (project: string) => `/v1/projects/${project}/status`, // GET: public per-job counts and diagnosis
  myProject: '/v1/projects/mine', // GET: the project a project token belongs to
  blob: (hash: string) => `/v1/blobs/${hash}`, // GET public; PUT with a project token
  blobManifest: (hash: string) => `/v1/blobs/${hash}/manifest`, // GET: the SHA-256 of each chunk, for peers
  ortWasm: '/v1/ort-wasm', // GET: onnxruntime-web's .wasm files the page uses, published as blobs
  treeHead: '/v1/log/tree-head',
  inclusion: '/v1/log/inclusion', // ?index=&size=
  consistency: '/v1/log/consistency', // ?from=&to=
  entries: '/v1/log/entries', // ?start=&end=

  // researcher
  jobs: '/v1/jobs', // POST create; GET list (project token)
  job: (job: string) => `/v1/jobs/${job}`, // GET: definition + progress
  workUnits: (job: string) => `/v1/jobs/${job}/workunits`, // POST NDJSON stream of WorkUnitLine
  events: (job: string) => `/v1/jobs/${job}/events`, // GET SSE: `progress` (JobProgress), `completed`
  results: (job: string) => `/v1/jobs/${job}/results`, // GET NDJSON of ResultLine, ?after=cursor&limit=
  publicResults: (job: string) => `/v1/jobs/${job}/public-results`, // GET, no token: jobs with publicResults only
  pause: (job: string) => `/v1/jobs/${job}/pause`,
  resume: (job: string) => `/v1/jobs/${job}/resume`,
  cancel: (job: string) => `/v1/jobs/${job}/cancel`,
  embedding: '/v1/project/embedding', // GET / PUT: the host origins that may embed the project's widget

  // the embeddable widget (public, readable from any origin)
  widgetScript: '/widget.js',
  widgetManifest: '/widget.json', // where widget.js is and its SRI hash
  widgetProject: (project: string) => `/v1/widget/projects/${project}`, // what the card shows
  widgetFrame: '/widget/frame', // ?project=&host=[&offscreen=pause]: the iframe, framable by the project's origins

  // operator
  bans: '/v1/volunteers/bans', // GET: the ban list (operator token)
  ban: (volunteer: string) => `/v1/volunteers/${volunteer}/ban`, // POST {reason}: refuse the key, release its leases
  unban: (volunteer: string) => `/v1/volunteers/${volunteer}/unban`, // POST

  // volunteer
  challenge: '/v1/auth/challenge',
  token: '/v1/auth/token',
  lease: '/v1/volunteer/lease',
  heartbeat: '/v1/volunteer/heartbeat',
  release: '/v1/volunteer/release', // POST {leases, requests?}: a page that leaves gives back what it will not compute
  submit: '/v1/volunteer/submit',
  receipts: '/v1/volunteer/receipts', // ?after=index
  me: '/v1/volunteer/me',
  exports: '/v1/volunteer/exports', // POST {to, amount}: credit moved to another grid, as a proven export receipt
  settleExport: (requestId: string) => `/v1/volunteer/exports/${requestId}/settle`, // POST: its export, or closed for good
  imports: '/v1/volunteer/imports', // POST {receipts}: other grids' exports to this one, credited once
  myFundedProject: '/v1/volunteer/project', // POST {name}: the key's personal project, paid from its credit; a new token
  peerRoom: '/v1/volunteer/peer-room', // ?project=: the project's room, its secret and a signaling ticket

  // peers: y-webrtc's signaling protocol over a WebSocket, `?ticket=` from peerRoom
  signal: '/signal',
} as const;

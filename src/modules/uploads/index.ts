export { uploadsRoutes, uploadKinds, maxUploadChars, maxListedLines, type UploadKind } from './uploads.routes.ts';

export * from './response-review-queue';

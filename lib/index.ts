// The public API of cdk-ai-gateway: an explicit list of exports.
export {};

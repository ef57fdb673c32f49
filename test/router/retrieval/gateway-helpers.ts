/** Re-exports of the router test helpers the retrieval suites use. */
export { chatRequest, send, Steps, testGateway } from '../../helpers/router-fakes';
export { GLOBEX_KEY as GLOBEX } from '../../helpers/router-config';

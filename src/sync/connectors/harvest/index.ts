export { createHarvestConnector, type HarvestConnector, type HarvestPage, type HarvestPullOptions } from "./connector";
export { HarvestClient, type HarvestClientDeps, type HarvestClientEvent } from "./client";
export { harvestConfig, parseHarvestConfig, HARVEST_RATE_LIMIT, type HarvestConfig, type HarvestConfigInput } from "./config";
export { HarvestConnectorError, HarvestHttpError, HarvestTransportError } from "./errors";
export { mapTimeEntry } from "./map";

/** DescribeConfigs' config sources (DescribeConfigsResponse.json). */
export const ConfigSource = {
  unknown: 0,
  topic: 1,
  dynamicBroker: 2,
  dynamicDefaultBroker: 3,
  staticBroker: 4,
  default: 5,
} as const;

/** Resource types of the config APIs (org.apache.kafka.common.config.ConfigResource.Type). */
export const ResourceType = {
  topic: 2,
  broker: 4,
  brokerLogger: 8,
} as const;

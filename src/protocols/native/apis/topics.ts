import type { FerryError } from '../../../common/errors.ts';
import type { ApiSpec } from '../codec.ts';
import { ApiKey } from '../constants.ts';
import {
  readTopicDescription,
  type TopicConfigEntries,
  type TopicDescription,
  type TopicSummary,
  writeTopicDescription,
} from './topic-types.ts';

/** Topic administration: create, delete, list, describe, grow, configure. */

export interface CreateTopicSpec {
  name: string;
  /** -1: the broker's default. */
  partitions: number;
  /** -1: the broker's default. */
  replicationFactor: number;
  config: TopicConfigEntries;
}

export interface CreateTopicsRequest {
  topics: CreateTopicSpec[];
  validateOnly: boolean;
}

export interface CreateTopicResult {
  name: string;
  error: FerryError | null;
  /** null when `error` is set. */
  topic: TopicDescription | null;
}

export const createTopicsApi: ApiSpec<CreateTopicsRequest, { topics: CreateTopicResult[] }> = {
  key: ApiKey.createTopics,
  name: 'CreateTopics',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.array(req.topics, (w, t) => w.string(t.name).i32(t.partitions).i16(t.replicationFactor).entries(t.config));
    w.bool(req.validateOnly);
  },
  decodeRequest(r) {
    const topics = r.array((r) => ({ name: r.string(), partitions: r.i32(), replicationFactor: r.i16(), config: r.entries() }), 12);
    return { topics, validateOnly: r.bool() };
  },
  encodeResponse(w, res) {
    w.array(res.topics, (w, t) => {
      w.string(t.name)
        .error(t.error)
        .bool(t.topic !== null);
      if (t.topic) writeTopicDescription(w, t.topic);
    });
  },
  decodeResponse(r) {
    return {
      topics: r.array((r) => ({ name: r.string(), error: r.error(), topic: r.bool() ? readTopicDescription(r) : null }), 5),
    };
  },
};

export interface TopicErrorResult {
  name: string;
  error: FerryError | null;
}

export const deleteTopicsApi: ApiSpec<{ names: string[] }, { topics: TopicErrorResult[] }> = {
  key: ApiKey.deleteTopics,
  name: 'DeleteTopics',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.stringArray(req.names);
  },
  decodeRequest(r) {
    return { names: r.stringArray() };
  },
  encodeResponse(w, res) {
    w.array(res.topics, (w, t) => w.string(t.name).error(t.error));
  },
  decodeResponse(r) {
    return { topics: r.array((r) => ({ name: r.string(), error: r.error() }), 4) };
  },
};

export const listTopicsApi: ApiSpec<{ includeInternal: boolean }, { topics: TopicSummary[] }> = {
  key: ApiKey.listTopics,
  name: 'ListTopics',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.bool(req.includeInternal);
  },
  decodeRequest(r) {
    return { includeInternal: r.bool() };
  },
  encodeResponse(w, res) {
    w.array(res.topics, (w, t) => w.string(t.name).i32(t.partitionCount).bool(t.isInternal));
  },
  decodeResponse(r) {
    return { topics: r.array((r) => ({ name: r.string(), partitionCount: r.i32(), isInternal: r.bool() }), 7) };
  },
};

export const describeTopicApi: ApiSpec<{ name: string }, TopicDescription> = {
  key: ApiKey.describeTopic,
  name: 'DescribeTopic',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.name);
  },
  decodeRequest(r) {
    return { name: r.string() };
  },
  encodeResponse: writeTopicDescription,
  decodeResponse: readTopicDescription,
};

export const createPartitionsApi: ApiSpec<{ name: string; totalCount: number }, TopicDescription> = {
  key: ApiKey.createPartitions,
  name: 'CreatePartitions',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.name).i32(req.totalCount);
  },
  decodeRequest(r) {
    return { name: r.string(), totalCount: r.i32() };
  },
  encodeResponse: writeTopicDescription,
  decodeResponse: readTopicDescription,
};

export interface AlterTopicConfigRequest {
  name: string;
  set: TopicConfigEntries;
  remove: string[];
}

export const alterTopicConfigApi: ApiSpec<AlterTopicConfigRequest, TopicDescription> = {
  key: ApiKey.alterTopicConfig,
  name: 'AlterTopicConfig',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.name).entries(req.set).stringArray(req.remove);
  },
  decodeRequest(r) {
    return { name: r.string(), set: r.entries(), remove: r.stringArray() };
  },
  encodeResponse: writeTopicDescription,
  decodeResponse: readTopicDescription,
};

export type EmptyBody = Record<string, never>;

export const brokerConfigApi: ApiSpec<EmptyBody, { config: TopicConfigEntries }> = {
  key: ApiKey.brokerConfig,
  name: 'BrokerConfig',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest() {},
  decodeRequest() {
    return {};
  },
  encodeResponse(w, res) {
    w.entries(res.config);
  },
  decodeResponse(r) {
    return { config: r.entries() };
  },
};

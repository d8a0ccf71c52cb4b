import type { ApiSpec } from '../codec.ts';
import { ApiKey } from '../constants.ts';
import {
  readCreateOptions,
  readDescription,
  readPolicy,
  type SubscriptionCreateOptions,
  type SubscriptionDescription,
  type SubscriptionMode,
  type TopicQueuePolicy,
  writeCreateOptions,
  writeDescription,
  writePolicy,
} from './queue-types.ts';

/** Queue administration: subscriptions, dead-letter replay and topic queue policies (protocol v2). */

export interface CreateSubscriptionRequest {
  topic: string;
  name: string;
  mode: SubscriptionMode;
  options: SubscriptionCreateOptions;
}

export const createSubscriptionApi: ApiSpec<CreateSubscriptionRequest, SubscriptionDescription> = {
  key: ApiKey.createSubscription,
  name: 'CreateSubscription',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.topic).string(req.name).string(req.mode);
    writeCreateOptions(w, req.options);
  },
  decodeRequest(r) {
    return { topic: r.string(), name: r.string(), mode: r.string() as SubscriptionMode, options: readCreateOptions(r) };
  },
  encodeResponse: writeDescription,
  decodeResponse: readDescription,
};

export interface SubscriptionName {
  topic: string;
  name: string;
}

export const deleteSubscriptionApi: ApiSpec<SubscriptionName, Record<string, never>> = {
  key: ApiKey.deleteSubscription,
  name: 'DeleteSubscription',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.topic).string(req.name);
  },
  decodeRequest(r) {
    return { topic: r.string(), name: r.string() };
  },
  encodeResponse() {},
  decodeResponse() {
    return {};
  },
};

export interface SubscriptionSummaryWire {
  topic: string;
  name: string;
  mode: SubscriptionMode;
  consumerCount: number;
}

export const listSubscriptionsApi: ApiSpec<{ topic: string | null }, { subscriptions: SubscriptionSummaryWire[] }> = {
  key: ApiKey.listSubscriptions,
  name: 'ListSubscriptions',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.nullableString(req.topic);
  },
  decodeRequest(r) {
    return { topic: r.nullableString() };
  },
  encodeResponse(w, res) {
    w.array(res.subscriptions, (w, s) => w.string(s.topic).string(s.name).string(s.mode).i32(s.consumerCount));
  },
  decodeResponse(r) {
    return {
      subscriptions: r.array(
        (r) => ({ topic: r.string(), name: r.string(), mode: r.string() as SubscriptionMode, consumerCount: r.i32() }),
        10,
      ),
    };
  },
};

export const describeSubscriptionApi: ApiSpec<SubscriptionName, SubscriptionDescription> = {
  key: ApiKey.describeSubscription,
  name: 'DescribeSubscription',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.topic).string(req.name);
  },
  decodeRequest(r) {
    return { topic: r.string(), name: r.string() };
  },
  encodeResponse: writeDescription,
  decodeResponse: readDescription,
};

export interface ReplayDeadLettersRequest {
  topic: string;
  name: string;
  /** -1: all. */
  maxRecords: number;
}

export const replayDeadLettersApi: ApiSpec<ReplayDeadLettersRequest, { deadLetterTopic: string; replayed: number }> = {
  key: ApiKey.replayDeadLetters,
  name: 'ReplayDeadLetters',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.topic).string(req.name).i64(req.maxRecords);
  },
  decodeRequest(r) {
    return { topic: r.string(), name: r.string(), maxRecords: r.i64() };
  },
  encodeResponse(w, res) {
    w.string(res.deadLetterTopic).i64(res.replayed);
  },
  decodeResponse(r) {
    return { deadLetterTopic: r.string(), replayed: r.i64() };
  },
};

export const setTopicQueuePolicyApi: ApiSpec<{ topic: string; policy: TopicQueuePolicy }, TopicQueuePolicy> = {
  key: ApiKey.setTopicQueuePolicy,
  name: 'SetTopicQueuePolicy',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.topic);
    writePolicy(w, req.policy);
  },
  decodeRequest(r) {
    return { topic: r.string(), policy: readPolicy(r) };
  },
  encodeResponse: writePolicy,
  decodeResponse: readPolicy,
};

export const describeTopicQueuePolicyApi: ApiSpec<{ topic: string }, TopicQueuePolicy> = {
  key: ApiKey.describeTopicQueuePolicy,
  name: 'DescribeTopicQueuePolicy',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.topic);
  },
  decodeRequest(r) {
    return { topic: r.string() };
  },
  encodeResponse: writePolicy,
  decodeResponse: readPolicy,
};

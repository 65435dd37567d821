export { ConnectionSubscriptions, SubscriptionHub, subscriptionLimitsDefault, type HubOptions, type HubStats, type SubscriptionLimits, type TopicPublisher } from './subscription-hub';
export { SubscriberSession, type SubscriberSocket } from './subscriber-session';

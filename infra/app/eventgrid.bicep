// Event Grid: a system topic on the storage account (its BlobCreated events feed the inbox trigger; the subscription is
// created after code deploy by inbox-subscription.bicep, when the blobs_extension key exists; the topic's own identity
// writes the events it cannot deliver to the deadletter container), and the custom topic the pipeline publishes its
// CloudEvents to, keys off (Entra only).
param location string
param tags object
param storageAccountName string
param systemTopicName string
param eventTopicName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: systemTopicName
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource eventTopic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: eventTopicName
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    minimumTlsVersionAllowed: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

output systemTopicName string = systemTopic.name
output systemTopicPrincipalId string = systemTopic.identity.principalId
output eventTopicName string = eventTopic.name
output eventTopicEndpoint string = eventTopic.properties.endpoint

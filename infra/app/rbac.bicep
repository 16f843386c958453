// The app identity's roles, each assignment named deterministically (guid of scope, principal and role), least privilege:
// blob data owner (the blob trigger needs it; it also mints user delegation SAS), queue and table data contributor
// (the Durable task hub and the trigger's poison queue), Monitoring Metrics Publisher (Entra-auth telemetry),
// Key Vault Secrets User (the FAL_KEY reference), EventGrid Data Sender (job events). The inbox system topic gets Storage
// Blob Data Contributor on the storage account, to dead-letter undeliverable inbox events. The deploying principal gets
// Storage Blob Data Contributor (drop files, read videos) and Key Vault Secrets Officer (set FAL-KEY), in both deploy
// paths. All of these are made while provisioning, before the post-deploy hook creates the inbox subscription that
// dead-letters with the topic's identity (infra/inbox-subscription.bicep); the hook retries that deployment while
// the role may still be propagating.
param storageAccountName string
param keyVaultName string
param applicationInsightsName string
param eventTopicName string
param principalId string
param inboxTopicPrincipalId string
param userPrincipalId string = ''

@allowed([ 'User', 'ServicePrincipal' ])
param userPrincipalType string = 'User'

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource eventTopic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: eventTopicName
}

var storageRoles = [ roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor ]

resource appStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in storageRoles: {
  name: guid(storage.id, principalId, role)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
  }
}]

resource appMetrics 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

resource appSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

resource appEvents 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(eventTopic.id, principalId, roles.eventGridDataSender)
  scope: eventTopic
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventGridDataSender)
  }
}

// Scope: the storage account, as Event Grid's docs ask ("Use managed service identity to forward events", Azure CLI
// section: the identity "must also be a member of the Storage Blob Data Contributor role on the storage account
// that's used for dead-lettering"); they describe no narrower scope for a dead-letter destination, and one at the
// container (as before) may be refused when the subscription is saved or the first event is dead-lettered, which
// nothing here can test. Least privilege within that: the data role the docs name (not Owner, no management rights),
// on this one account (the topic's own source) and for this one identity, which only Event Grid uses.
resource inboxTopicDeadLetters 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, inboxTopicPrincipalId, roles.storageBlobDataContributor)
  scope: storage
  properties: {
    principalId: inboxTopicPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
  }
}

resource userBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  name: guid(storage.id, userPrincipalId, roles.storageBlobDataContributor)
  scope: storage
  properties: {
    principalId: userPrincipalId
    principalType: userPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
  }
}

resource userSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  name: guid(vault.id, userPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: userPrincipalId
    principalType: userPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  }
}

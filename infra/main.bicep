// The video pipeline on Azure: Flex Consumption Function App (.NET 10 isolated) with a user-assigned identity, one
// storage account (host, task hub, inbox, videos; shared keys off), Key Vault for FAL_KEY, Application Insights with
// Entra auth, and Event Grid (storage system topic for the inbox trigger, custom topic for job events).
// `azd up` deploys it (azure.yaml); the inbox subscription follows after code deploy (hooks/postdeploy.sh).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the environment; it seeds every resource name.')
param environmentName string

// The regions that offer Flex Consumption, as Microsoft's own azd Flex Consumption templates list them (the list of
// Azure-Samples/functions-quickstart-dotnet-azd, infra/main.bicep, unchanged from its refresh of 2025-05-05 to its
// .NET 10 update of 2026-02-24). Microsoft Learn keeps no such list: it points to
// `az functionapp list-flexconsumption-locations`, which shows the current list for a subscription; add a region here
// when it shows one this list lacks. azd offers only these (and only those the subscription may use); az deployment
// refuses any other before it creates anything. eastus2euap is an early-access region, usable by few subscriptions.
@minLength(1)
@description('Region for every resource: one that offers Flex Consumption (az functionapp list-flexconsumption-locations).')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'eastus2euap'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({ azd: { type: 'location' } })
param location string

@secure()
@description('fal key (id:secret). Leave empty and set the Key Vault secret FAL-KEY after deployment to keep it out of deployment history.')
param falKey string = ''

@secure()
@description('fal admin key (optional): with it, payloads are deleted at fal once each video is stored.')
param falAdminKey string = ''

@secure()
@description('Secret the per-job webhook URLs are signed with (optional; `openssl rand -hex 32`). Empty: derived from the fal key, so rotating that key sends jobs in flight to polling.')
param falWebhookSecret string = ''

@secure()
@description('Secret the per-job callbacks are signed with, Standard Webhooks style (optional; whsec_ and base64 of 32 random bytes). Empty: requests naming a webhook_url get their callbacks answered "no signing secret" until one is set.')
param callbackSecret string = ''

@description('Object id of the principal that deploys, given the roles to set the fal secret and to drop and read files: azd passes its signed-in principal; az uses whoever runs the deployment. Empty: no such roles.')
param principalId string = deployer().objectId

@allowed([ 'User', 'ServicePrincipal' ])
@description('What principalId is: a user, or a service principal (a CI pipeline).')
param principalType string = 'User'

@allowed([ 512, 2048, 4096 ])
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    identityName: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
  }
}

module monitoring 'app/monitoring.bicep' = {
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
  }
}

module storage 'app/storage.bicep' = {
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    storageAccountName: '${abbrs.storageStorageAccounts}${resourceToken}'
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault 'app/keyvault.bicep' = {
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    keyVaultName: '${abbrs.keyVaultVaults}${resourceToken}'
    falKey: falKey
    falAdminKey: falAdminKey
    falWebhookSecret: falWebhookSecret
    callbackSecret: callbackSecret
  }
}

module eventGrid 'app/eventgrid.bicep' = {
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    systemTopicName: '${abbrs.eventGridSystemTopics}${resourceToken}'
    eventTopicName: '${abbrs.eventGridDomainsTopics}${resourceToken}'
  }
}

module rbac 'app/rbac.bicep' = {
  scope: resourceGroup
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    eventTopicName: eventGrid.outputs.eventTopicName
    principalId: identity.outputs.principalId
    inboxTopicPrincipalId: eventGrid.outputs.systemTopicPrincipalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

module functionApp 'app/functionapp.bicep' = {
  scope: resourceGroup
  dependsOn: [ rbac ] // the app must be able to read its storage and secret when it first starts
  params: {
    hasFalAdminKey: !empty(falAdminKey)
    hasFalWebhookSecret: !empty(falWebhookSecret)
    hasCallbackSecret: !empty(callbackSecret)
    location: location
    tags: tags
    planName: '${abbrs.webServerFarms}${resourceToken}'
    functionAppName: functionAppName
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    eventTopicEndpoint: eventGrid.outputs.eventTopicEndpoint
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output RESOURCE_GROUP string = resourceGroup.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_HOSTNAME string = functionApp.outputs.defaultHostName
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output KEY_VAULT_NAME string = keyVault.outputs.name
output INBOX_SYSTEM_TOPIC_NAME string = eventGrid.outputs.systemTopicName
output EVENTS_TOPIC_NAME string = eventGrid.outputs.eventTopicName
output EVENTS_TOPIC_ENDPOINT string = eventGrid.outputs.eventTopicEndpoint

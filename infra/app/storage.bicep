// The app's one storage account: the Functions host and Durable task hub, the pipeline's containers (inbox, videos,
// uploads sent with API requests, the jobs index of the listing), the inbox events Event Grid could not deliver
// (deadletter) and the deployment package. Shared keys are off: everything authenticates with Entra (the app's managed identity).
param location string
param tags object
param storageAccountName string
param deploymentContainerName string

@description('Days after which error markers in videos/ are deleted; 0 keeps them.')
param errorMarkerRetentionDays int = 90

@description('Days after which files uploaded with API requests (uploads/) are deleted; fal has fetched them long before.')
param uploadRetentionDays int = 7

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow' // fal fetches inbox images through SAS URLs from the internet
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for name in [ 'inbox', 'videos', 'uploads', 'jobs', 'deadletter', deploymentContainerName ]: {
  parent: blobService
  name: name
  properties: { publicAccess: 'None' }
}]

var errorMarkerRule = {
  name: 'expire-error-markers'
  enabled: true
  type: 'Lifecycle'
  definition: {
    // Lifecycle filters match prefixes, not suffixes, so the pipeline tags each error marker (kind=error-marker).
    filters: {
      blobTypes: [ 'blockBlob' ]
      prefixMatch: [ 'videos/' ]
      blobIndexMatch: [
        { name: 'kind', op: '==', value: 'error-marker' }
      ]
    }
    actions: {
      baseBlob: { delete: { daysAfterModificationGreaterThan: errorMarkerRetentionDays } }
    }
  }
}

var uploadRule = {
  name: 'expire-uploads'
  enabled: true
  type: 'Lifecycle'
  definition: {
    filters: {
      blobTypes: [ 'blockBlob' ]
      prefixMatch: [ 'uploads/' ]
    }
    actions: {
      baseBlob: { delete: { daysAfterModificationGreaterThan: uploadRetentionDays } }
    }
  }
}

var lifecycleRules = concat(errorMarkerRetentionDays > 0 ? [ errorMarkerRule ] : [], uploadRetentionDays > 0 ? [ uploadRule ] : [])

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = if (!empty(lifecycleRules)) {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: lifecycleRules
    }
  }
}

output name string = storage.name
output id string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table

// The Flex Consumption plan (FC1) and the Function App (.NET 10 isolated), running as the user-assigned identity.
// Every setting the app reads is set here (tests/Infra.Tests checks them against local.settings.sample.json); the
// secrets (FAL_KEY; FAL_ADMIN_KEY and FAL_WEBHOOK_SECRET when given) are Key Vault references. No connection strings, no FUNCTIONS_WORKER_RUNTIME (Flex sets the runtime).
param location string
param tags object
param planName string
param functionAppName string
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string
param keyVaultName string
param eventTopicEndpoint string
param taskHubName string = 'videopipeline'

@description('Whether Key Vault holds FAL-ADMIN-KEY (set at deployment); without it payloads are not deleted at fal.')
param hasFalAdminKey bool = false

@description('Whether Key Vault holds FAL-WEBHOOK-SECRET (set at deployment); without it the webhook URL tokens derive from FAL_KEY.')
param hasFalWebhookSecret bool = false

@description('Whether Key Vault holds CALLBACK-SECRET (set at deployment, or later with a refresh of the references).')
param hasCallbackSecret bool = false

@allowed([ 512, 2048, 4096 ])
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
  }
}

// A child resource, so it can use the app's own host name: fal posts webhooks to https://<host>/api/fal/webhook.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: {
    // The Functions host and the Durable task hub, identity-based.
    AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    TASKHUB_NAME: taskHubName
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    OTEL_EXPORTER_OTLP_ENDPOINT: '' // Application Insights is the exporter here; set a collector to export there too

    // The inbox and videos containers, and the blob trigger's connection (Event Grid source on Flex).
    PipelineStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    PipelineStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    PipelineStorage__credential: 'managedidentity'
    PipelineStorage__clientId: identityClientId
    'AzureWebJobs.InboxTrigger.Disabled': 'false'

    // fal.
    FAL_KEY: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=FAL-KEY)'
    Fal__BaseUrl: 'https://queue.fal.run'
    Fal__RequestTimeout: '00:00:30'
    Fal__MaxRetries: '4'
    Fal__FirstRetryDelay: '00:00:01'
    Fal__MaxRetryDelay: '00:00:30'
    Fal__AllowedHosts__0: 'queue.fal.run'
    Fal__OutputRetention: '1.00:00:00'
    Fal__AdminBaseUrl: 'https://api.fal.ai'
    FAL_ADMIN_KEY: hasFalAdminKey ? '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=FAL-ADMIN-KEY)' : ''
    FalWebhook__VerifySignatures: 'true'
    FalWebhook__JwksUrl: 'https://rest.alpha.fal.ai/.well-known/jwks.json'
    FalWebhook__KeyCacheLifetime: '1.00:00:00'
    FalWebhook__MinRefetchInterval: '00:01:00'
    FalWebhook__TimestampTolerance: '00:05:00'
    FAL_WEBHOOK_SECRET: hasFalWebhookSecret ? '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=FAL-WEBHOOK-SECRET)' : ''
    CALLBACK_SECRET: hasCallbackSecret ? '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=CALLBACK-SECRET)' : ''
    CALLBACK_SECRET_PREVIOUS: ''
    Callbacks__RetryFor: '1.00:00:00'
    Callbacks__FirstRetryDelay: '00:00:10'
    Callbacks__MaxRetryDelay: '00:30:00'
    Callbacks__Timeout: '00:00:15'
    Callbacks__AllowHttp: 'false'
    Callbacks__AllowPrivateTargets: 'false'
    FalWebhook__UserId: ''
    FalWebhook__MaxBodyBytes: '262144'

    // The pipeline.
    Pipeline__PublicBaseUrl: 'https://${functionApp.properties.defaultHostName}'
    Pipeline__ApiBaseUrl: 'https://${functionApp.properties.defaultHostName}'
    Pipeline__WebhookWait: '00:02:00'
    Pipeline__PollInterval: '00:00:30'
    Pipeline__JobDeadline: '00:30:00'
    Pipeline__SidecarGrace: '00:00:05'
    Pipeline__ManifestInvalidRows: 'Refuse'
    Pipeline__LoneRequestWait: '00:01:00'
    Pipeline__KeepPhotoLocation: 'false'
    Pipeline__UnconfirmedSubmitWait: '00:10:00'
    Pipeline__FalUnavailableWait: '01:00:00'
    Pipeline__ReconcileAfter: '00:01:00'
    Pipeline__JobRetention: '30.00:00:00'
    Pipeline__DefaultPrompt: 'Bring this picture to life with gentle, natural camera motion.'
    Pipeline__InputSasLifetime: '02:00:00'
    Pipeline__SendInputsAsDataUris: 'false'
    Pipeline__VideoUrlSasLifetime: '01:00:00'
    Pipeline__MediaHosts__0: 'fal.media'
    Pipeline__AllowHttpDownloads: 'false'
    Pipeline__EventSource: '/video-pipeline'

    // Costs: fal's list prices of 2026-11-26; the caps are off while empty (see README, Costs).
    Costs__PricePerSecondUsd__480p: '0.1076'
    Costs__PricePerSecondUsd__720p: '0.2419'
    Costs__VideoInputFactor: '0.6'
    Costs__AutoDurationSeconds: '15'
    Costs__DailyBudgetUsd: ''
    Costs__PerUserDailyBudgetUsd: ''
    Costs__MaxConcurrentJobs: ''
    Costs__SlotRetryInterval: '00:00:10'
    Costs__SlotLease: '02:00:00'
    Costs__UsageRetention: '30.00:00:00'

    // Job events: the custom topic, with the app's identity (no key).
    EventGrid__TopicEndpoint: eventTopicEndpoint
    EventGrid__TopicKey: ''
    EventGrid__ManagedIdentityClientId: identityClientId
    EventGrid__PublishTimeout: '00:00:10'
    EventGrid__RetryFor: '1.00:00:00'
  }
}

output name string = functionApp.name
output id string = functionApp.id
output defaultHostName string = functionApp.properties.defaultHostName

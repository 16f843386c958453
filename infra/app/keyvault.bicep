// Key Vault in RBAC mode for FAL_KEY (and FAL_ADMIN_KEY, FAL_WEBHOOK_SECRET when given). The key is a secure parameter or set after deployment
// (`az keyvault secret set --name FAL-KEY ...`); it never appears in a template or an output.
param location string
param tags object
param keyVaultName string

@secure()
@description('fal key (id:secret). Empty: set the FAL-KEY secret yourself after deployment.')
param falKey string = ''

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

@secure()
@description('fal admin key, to delete payloads at fal after the copy. Empty: none (outputs expire at fal by their retention).')
param falAdminKey string = ''

@secure()
@description('Secret for the per-job webhook URL tokens. Empty: none (the app derives one from the fal key).')
param falWebhookSecret string = ''

@secure()
param callbackSecret string = ''

resource falKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(falKey)) {
  parent: vault
  name: 'FAL-KEY'
  properties: { value: falKey }
}

resource falAdminKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(falAdminKey)) {
  parent: vault
  name: 'FAL-ADMIN-KEY'
  properties: { value: falAdminKey }
}

resource falWebhookSecretValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(falWebhookSecret)) {
  parent: vault
  name: 'FAL-WEBHOOK-SECRET'
  properties: { value: falWebhookSecret }
}

resource callbackSecretValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(callbackSecret)) {
  parent: vault
  name: 'CALLBACK-SECRET'
  properties: { value: callbackSecret }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri

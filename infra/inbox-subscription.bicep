// The inbox trigger's Event Grid subscription, deployed after the code (hooks/postdeploy.sh, .ps1): the blob extension's
// system key (blobs_extension) exists only once the app runs a function with an Event Grid blob trigger. Events that
// cannot be delivered for a day (30 attempts) go to the deadletter container of the topic's storage account, written
// by the system topic's own identity (its role is in app/rbac.bicep), instead of being dropped.
param functionAppName string
param systemTopicName string

@description('The inbox container whose BlobCreated events start jobs.')
param inboxContainer string = 'inbox'

@description('The container, in the same storage account, that undeliverable events are written to.')
param deadLetterContainer string = 'deadletter'

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

var blobsExtensionKey = listKeys('${functionApp.id}/host/default', '2024-04-01').systemKeys.blobs_extension

resource inboxSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: 'inbox-to-functions'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.InboxTrigger&code=${blobsExtensionKey}'
        maxEventsPerBatch: 1
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [ 'Microsoft.Storage.BlobCreated' ]
      subjectBeginsWith: '/blobServices/default/containers/${inboxContainer}/'
      // One event per committed blob: multi-request uploads raise more than one BlobCreated otherwise.
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.api'
          values: [ 'PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose' ]
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: systemTopic.properties.source // the storage account whose events these are
          blobContainerName: deadLetterContainer
        }
      }
    }
  }
}

"""Where an event meets storage: ``ConversationService`` runs each inbound event or due tick as one
transaction with the effects the engine decided."""

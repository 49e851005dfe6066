"""The /fhir endpoints: CapabilityStatement, read and search of the directory as FHIR R4B resources."""

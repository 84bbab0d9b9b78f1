package main

import "nongfu/internal/apperr"

func fieldsOf(err error) map[string]string { return apperr.FieldsOf(err) }
func messageOf(err error) string           { return apperr.MessageOf(err) }

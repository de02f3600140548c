// Package licd is the root of the licd module: an open-source, actor-model license server
// implementing the Licensing 11.17.2 manual. The code lives in the sub-packages; this file
// exists so that repository-wide tests (such as the package-doc check) have a home.
package licd

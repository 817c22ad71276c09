package trackfile

import (
	"bytes"
	"fmt"

	"github.com/Eyevinn/mp4ff/aac"
	"github.com/Eyevinn/mp4ff/avc"
	"github.com/Eyevinn/mp4ff/hevc"
	"github.com/Eyevinn/mp4ff/mp4"
)

// describeSampleEntry fills the codec string (RFC 6381 "codecs" parameter,
// built as ISO/IEC 14496-15 Annex E, ISO/IEC 14496-3 and the codec
// bindings define it), bandwidth (btrt, ISO/IEC 14496-12 8.5.2.2), picture
// size and audio parameters from the first sample entry of the track.
func describeSampleEntry(in *TrackInfo, entry mp4.Box) {
	switch e := entry.(type) {
	case *mp4.VisualSampleEntryBox:
		name := originalFormat(e.Type(), e.Sinf)
		in.Width, in.Height = uint32(e.Width), uint32(e.Height)
		in.Bandwidth = btrtBandwidth(e.Btrt)
		in.Codecs = visualCodec(name, e)
	case *mp4.AudioSampleEntryBox:
		name := originalFormat(e.Type(), e.Sinf)
		in.SampleRate = uint32(e.SampleRate)
		in.Channels = e.ChannelCount
		in.Bandwidth = btrtBandwidth(e.Btrt)
		in.Codecs = audioCodec(name, e, in)
	case *mp4.StppBox:
		in.Codecs = "stpp"
		in.Bandwidth = btrtBandwidth(e.Btrt)
	case *mp4.WvttBox:
		in.Codecs = "wvtt"
		in.Bandwidth = btrtBandwidth(e.Btrt)
	default:
		in.Codecs = entry.Type()
	}
}

// originalFormat returns the sample entry type, or for a protected entry
// (encv/enca, ISO/IEC 14496-12 8.12) the original format from its frma.
func originalFormat(name string, sinf *mp4.SinfBox) string {
	if sinf != nil && sinf.Frma != nil && sinf.Frma.DataFormat != "" {
		return sinf.Frma.DataFormat
	}
	return name
}

func btrtBandwidth(b *mp4.BtrtBox) uint32 {
	switch {
	case b == nil:
		return 0
	case b.AvgBitrate != 0:
		return b.AvgBitrate
	default:
		return b.MaxBitrate
	}
}

func visualCodec(name string, e *mp4.VisualSampleEntryBox) string {
	switch {
	case e.AvcC != nil:
		r := e.AvcC.DecConfRec
		return avc.CodecString(name, &avc.SPS{Profile: uint32(r.AVCProfileIndication),
			ProfileCompatibility: uint32(r.ProfileCompatibility), Level: uint32(r.AVCLevelIndication)})
	case e.HvcC != nil:
		r := e.HvcC.DecConfRec
		return hevc.CodecString(name, &hevc.SPS{ProfileTierLevel: hevc.ProfileTierLevel{
			GeneralProfileSpace:              r.GeneralProfileSpace,
			GeneralTierFlag:                  r.GeneralTierFlag,
			GeneralProfileIDC:                r.GeneralProfileIDC,
			GeneralProfileCompatibilityFlags: r.GeneralProfileCompatibilityFlags,
			GeneralConstraintIndicatorFlags:  r.GeneralConstraintIndicatorFlags,
			GeneralLevelIDC:                  r.GeneralLevelIDC,
		}})
	case e.Av1C != nil:
		return e.Av1C.CodecString(name)
	case e.VppC != nil:
		return fmt.Sprintf("%s.%02d.%02d.%02d", name, e.VppC.Profile, e.VppC.Level, e.VppC.BitDepth)
	}
	return name
}

func audioCodec(name string, e *mp4.AudioSampleEntryBox, in *TrackInfo) string {
	switch name {
	case "mp4a":
		return mp4aCodec(e, in)
	case "ac-3":
		if e.Dac3 != nil {
			if n, _ := e.Dac3.ChannelInfo(); n > 0 {
				in.Channels = uint16(n)
			}
		}
		return "ac-3"
	case "ec-3":
		if e.Dec3 != nil && len(e.Dec3.EC3Subs) > 0 {
			if n, _ := e.Dec3.ChannelInfo(); n > 0 {
				in.Channels = uint16(n)
			}
		}
		return "ec-3"
	case "Opus":
		if e.Dops != nil && e.Dops.OutputChannelCount > 0 {
			in.Channels = uint16(e.Dops.OutputChannelCount)
		}
		return "opus"
	case "fLaC":
		return "flac"
	}
	return name
}

// mp4aCodec returns "mp4a.OTI" or, for MPEG-4 audio (OTI 0x40),
// "mp4a.40.AOT" with the audio object type of the AudioSpecificConfig
// (RFC 6381 3.3, ISO/IEC 14496-3 1.6.2.1). It also takes the channel count
// and sampling rate from the AudioSpecificConfig when they are explicit.
func mp4aCodec(e *mp4.AudioSampleEntryBox, in *TrackInfo) string {
	if e.Esds == nil || e.Esds.DecConfigDescriptor == nil {
		return "mp4a.40.2" // the CMAF AAC default; no esds to tell otherwise
	}
	dcd := e.Esds.DecConfigDescriptor
	if dcd.ObjectType != mp4.ObjectTypeAAC {
		return fmt.Sprintf("mp4a.%02X", dcd.ObjectType)
	}
	if dcd.DecSpecificInfo == nil || len(dcd.DecSpecificInfo.DecConfig) == 0 {
		return "mp4a.40.2"
	}
	asc, err := aac.DecodeAudioSpecificConfigHeader(bytes.NewReader(dcd.DecSpecificInfo.DecConfig))
	if err != nil {
		return "mp4a.40.2"
	}
	switch c := asc.ChannelConfiguration; {
	case c >= 1 && c <= 6:
		in.Channels = uint16(c)
	case c == 7:
		in.Channels = 8
	}
	if asc.SamplingFrequency > 0 && in.SampleRate == 0 {
		in.SampleRate = uint32(asc.SamplingFrequency)
	}
	return fmt.Sprintf("mp4a.40.%d", asc.ObjectType)
}
